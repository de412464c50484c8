// The forms that change a chat: transfer, reassign, "the bot got it wrong", close with the case.
import { api } from "./api.js";
import { $, el, setOptions, toast } from "./util.js";

// Runs `action` when the form is confirmed; keeps the dialog open and shows the error on failure.
function wire(dialogId, formId, action) {
  const dialog = $(dialogId);
  const form = $(formId);
  const error = form.querySelector(".error");
  form.addEventListener("submit", async (event) => {
    if (event.submitter?.value === "cancel") return; // method=dialog closes it
    event.preventDefault();
    error.hidden = true;
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      await action();
      dialog.close();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
  return (prepare) => {
    error.hidden = true;
    prepare?.();
    dialog.showModal();
  };
}

function categoryOptions(taxonomy) {
  return Object.entries(taxonomy || {}).map(([id, c]) => [id, c.label_az ? `${c.label} · ${c.label_az}` : c.label]);
}

function subcategoryOptions(taxonomy, category, blank) {
  const subs = taxonomy?.[category]?.subcategories || [];
  return [["", subs.length ? blank : "(none for this category)"], ...subs.map((s) => [s, s.replaceAll("_", " ")])];
}

function linkSelects(categorySelect, subSelect, taxonomy, blank) {
  categorySelect.onchange = () => {
    setOptions(subSelect, subcategoryOptions(taxonomy, categorySelect.value, blank), "");
    subSelect.disabled = subSelect.options.length <= 1;
  };
}

export function setupDialogs(state, after) {
  const path = (suffix) => `/api/conversations/${encodeURIComponent(state.current.id)}/${suffix}`;

  // -- transfer ------------------------------------------------------------------------------
  const transferTo = $("transfer-to");
  for (const radio of document.querySelectorAll('input[name="to-kind"]')) {
    radio.addEventListener("change", () => {
      transferTo.disabled = radio.value === "queue" && radio.checked;
      transferTo.required = !transferTo.disabled;
      if (!transferTo.disabled) transferTo.focus();
    });
  }
  const openTransfer = wire("transfer-dialog", "transfer-form", async () => {
    const toQueue = document.querySelector('input[name="to-kind"]:checked').value === "queue";
    const id = state.current.id;
    await api("POST", path("transfer"), { to: toQueue ? "queue" : transferTo.value.trim(), note: $("transfer-note").value.trim() });
    toast(toQueue ? "Back in the queue, with your note." : `Transferred to ${transferTo.value.trim()}.`);
    after("transferred", id);
  });

  // -- reassign (supervisor) ------------------------------------------------------------------
  let reassignId = null;
  const openReassign = wire("reassign-dialog", "reassign-form", async () => {
    await api("POST", `/api/conversations/${encodeURIComponent(reassignId)}/reassign`,
      { to: $("reassign-to").value.trim(), note: $("reassign-note").value.trim() || null });
    toast(`Reassigned to ${$("reassign-to").value.trim()}.`);
    after("reassigned", reassignId);
  });

  // -- feedback on the bot's reading -----------------------------------------------------------
  let feedbackMessage = null;
  const fbCategory = $("feedback-category");
  const fbSub = $("feedback-subcategory");
  const openFeedback = wire("feedback-dialog", "feedback-form", async () => {
    const risk = $("feedback-risk").value;
    await api("POST", path("feedback"), {
      message_id: feedbackMessage.id,
      category: fbCategory.value || null,
      subcategory: fbSub.value || null,
      risk_level: risk || null,
    });
    toast("Thank you: the correction is saved for retraining.");
  });

  // -- close with the case form ---------------------------------------------------------------
  const form = state.config.case_form || {};
  const caseCategory = $("case-category");
  const caseSub = $("case-subcategory");
  $("case-gender").append(...(form.genders || []).map((g, i) =>
    el("label", { class: "choice" }, el("input", { type: "radio", name: "gender", value: g.id, required: i === 0 }),
      `${g.label} `, g.az && el("span", { class: "az", lang: "az", text: g.az }))));
  setOptions($("case-age-band"), (form.age_bands || ["unknown"]).map((b) => [b, b]), "unknown");
  setOptions($("case-outcome"), [["", "Choose…"], ...(form.outcomes || []).map((o) => [o.id, o.az ? `${o.label} · ${o.az}` : o.label])], "");
  $("agency-list").replaceChildren(...(form.agencies || []).map((a) => el("option", { value: a })));
  const referral = $("case-referral");
  const consent = $("case-consent");
  const syncReferral = () => {
    $("referral-fields").hidden = !referral.checked;
    $("case-agency").required = referral.checked;
    const supervisor = state.me.role === "supervisor";
    $("override-fields").hidden = !(referral.checked && !consent.checked && supervisor);
  };
  referral.addEventListener("change", syncReferral);
  consent.addEventListener("change", syncReferral);
  $("case-age").addEventListener("input", () => {
    const age = Number($("case-age").value);
    if ($("case-age").value === "") return;
    $("case-age-band").value = age <= 10 ? "0-10" : age <= 14 ? "11-14" : age <= 18 ? "15-18" : "unknown";
  });

  const openClose = wire("close-dialog", "close-form", async () => {
    const id = state.current.id;
    const body = {
      category: caseCategory.value,
      subcategory: caseSub.value || null,
      gender: document.querySelector('input[name="gender"]:checked')?.value,
      age_band: $("case-age-band").value,
      outcome: $("case-outcome").value,
      referral: null,
    };
    if ($("case-age").value !== "") body.age = Number($("case-age").value);
    if (referral.checked) {
      const reason = $("case-override").value.trim();
      if (!consent.checked && !reason) {
        throw new Error(state.me.role === "supervisor"
          ? "Without the child's consent, write the reason for the emergency override."
          : "A referral needs the child's consent (or a supervisor's emergency override).");
      }
      body.referral = { agency: $("case-agency").value.trim(), consent: consent.checked, override_reason: consent.checked ? null : reason };
    }
    await api("POST", path("close"), body);
    toast("Case closed and recorded. Thank you.");
    after("closed", id);
  });

  return {
    transfer: () => openTransfer(() => {
      $("transfer-form").reset();
      transferTo.disabled = true;
    }),
    reassign: (id) => openReassign(() => {
      reassignId = id;
      $("reassign-form").reset();
    }),
    feedback: (message) => openFeedback(() => {
      feedbackMessage = message;
      $("feedback-quote").textContent = message.text;
      setOptions(fbCategory, [["", "(category was right)"], ...categoryOptions(state.taxonomy)], message.analysis?.category || "");
      linkSelects(fbCategory, fbSub, state.taxonomy, "(none)");
      fbCategory.onchange();
      fbSub.value = message.analysis?.subcategory || "";
      $("feedback-risk").value = "";
    }),
    close: () => openClose(() => {
      const conversation = state.current;
      $("close-form").reset();
      setOptions(caseCategory, [["", "Choose…"], ...categoryOptions(state.taxonomy)], conversation.category || "");
      linkSelects(caseCategory, caseSub, state.taxonomy, "Choose…");
      caseCategory.onchange();
      caseSub.value = conversation.subcategory || "";
      $("case-age-band").value = conversation.ageBand || "unknown";
      syncReferral();
    }),
  };
}
