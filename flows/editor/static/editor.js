// The flow editor in the browser: the step form, the YAML, validation as you type, the
// simulator, publish and roll back. Plain JavaScript, no build step. The YAML text is the
// truth; the form edits a parsed copy the server turns back into YAML.
"use strict";

(function () {
  const LANGS = [["az", "Azərbaycanca"], ["ru", "Русский"], ["en", "English"]];
  const STEP_TYPES = ["message", "choice", "ask", "set", "condition", "link", "handoff", "end"];

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    const stored = window.sessionStorage && sessionStorage.getItem("csrf_token");
    if (stored) return stored;
    const match = document.cookie.match(/(?:^|;\s*)csrf_token=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, data: data };
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
    }
    for (const child of children || []) if (child) node.appendChild(child);
    return node;
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      const args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  // ---------------------------------------------------------------- the edit page

  function editPage(root) {
    const flowId = root.dataset.flow;
    const initial = JSON.parse(document.getElementById("initial").textContent);
    const yaml = document.getElementById("yaml");
    const form = document.getElementById("form");
    const status = document.getElementById("status");
    const errorList = document.getElementById("errors");
    let baseVersion = initial.version;
    let doc = null;
    let lastErrors = [];
    let checkSeq = 0;

    yaml.value = initial.source;

    async function check(rebuildForm) {
      const seq = ++checkSeq;
      status.textContent = "Checking…";
      const result = await post(`/api/flows/${flowId}/validate`, { source: yaml.value });
      if (seq !== checkSeq) return; // a newer check is on its way
      if (result.status !== 200) {
        status.textContent = "Could not check (" + result.status + ").";
        status.className = "status bad";
        return;
      }
      lastErrors = result.data.errors;
      showErrors(lastErrors);
      if (result.data.doc) {
        doc = result.data.doc;
        if (rebuildForm) buildForm();
        else markFormErrors();
      } else if (rebuildForm) {
        form.replaceChildren(el("p", { class: "hint", text:
          "The YAML cannot be read, so the form is not shown. Fix the error in the YAML tab." }));
      }
    }

    function showErrors(errors) {
      errorList.replaceChildren();
      if (!errors.length) {
        status.textContent = "No problems. You can try it and publish.";
        status.className = "status ok";
        return;
      }
      status.textContent = errors.length + (errors.length === 1 ? " problem" : " problems") +
        " to fix before publishing.";
      status.className = "status bad";
      for (const error of errors) {
        const where = [error.step ? "step " + error.step : "", error.line ? "line " + error.line : ""]
          .filter(Boolean).join(", ");
        errorList.appendChild(el("li", { class: "error", "data-rule": error.rule, "data-step": error.step || "" }, [
          el("b", { text: where ? where + ": " : "" }),
          el("span", { class: "what", text: error.message + " " }),
          el("span", { class: "fix", text: "How to fix: " + error.fix }),
        ]));
      }
    }

    // --- the form ---

    function setPath(path, value) {
      let node = doc;
      for (let i = 0; i < path.length - 1; i++) node = node[path[i]];
      const key = path[path.length - 1];
      if (value === "" || value === null) delete node[key];
      else node[key] = value;
    }

    const renderFromForm = debounce(async function () {
      const result = await post(`/api/flows/${flowId}/render`, { doc: doc });
      if (result.status === 200) {
        yaml.value = result.data.source;
        check(false);
      }
    }, 350);

    function input(path, value, attrs) {
      const opts = attrs || {};
      const html = { "data-path": JSON.stringify(path) };
      for (const key of Object.keys(opts)) if (key !== "multiline" && key !== "number") html[key] = opts[key];
      const node = el(opts.multiline ? "textarea" : "input", html);
      node.value = value === undefined || value === null ? "" : String(value);
      node.addEventListener("input", function () {
        let v = node.value;
        if (opts.number && v !== "" && /^\d+$/.test(v)) v = parseInt(v, 10);
        setPath(path, v);
        renderFromForm();
      });
      return node;
    }

    function select(path, value, options) {
      const node = el("select", { "data-path": JSON.stringify(path) },
        options.map(function (o) { return el("option", { value: o, text: o || "(not set)" }); }));
      node.value = value || "";
      node.addEventListener("change", function () { setPath(path, node.value); renderFromForm(); });
      return node;
    }

    function field(label, control) {
      return el("label", { class: "field" }, [el("span", { text: label }), control]);
    }

    function texts(path, value, what, singleLine) {
      value = value || {};
      return el("div", { class: "texts" }, LANGS.map(function (pair) {
        const text = value[pair[0]] || "";
        const rows = Math.min(10, Math.max(2, text.split("\n").length + Math.floor(text.length / 45)));
        const attrs = singleLine ? { lang: pair[0], class: "label-" + pair[0] }
          : { multiline: true, rows: rows, lang: pair[0], class: "text-" + pair[0] };
        return field(what + " · " + pair[1], input(path.concat([pair[0]]), text, attrs));
      }));
    }

    function stepIds() { return (doc.steps || []).map(function (s) { return s.id; }); }

    function describeWhen(when) {
      return Object.entries(when || {}).map(function (kv) {
        return kv[0] + " = " + (Array.isArray(kv[1]) ? kv[1].join(" or ") : kv[1]);
      }).join(", ") || "always";
    }

    function stepBox(step, index) {
      const path = ["steps", index];
      const box = el("fieldset", { class: "step", "data-step": step.id, "data-type": step.type });
      const move = function (delta) {
        return function () {
          const j = index + delta;
          if (j < 0 || j >= doc.steps.length) return;
          const tmp = doc.steps[index]; doc.steps[index] = doc.steps[j]; doc.steps[j] = tmp;
          buildForm(); renderFromForm();
        };
      };
      box.appendChild(el("legend", {}, [
        el("span", { class: "step-id", text: step.id }),
        el("span", { class: "step-type", text: step.type }),
        el("button", { type: "button", class: "small", title: "Move up", text: "↑", onclick: move(-1) }),
        el("button", { type: "button", class: "small", title: "Move down", text: "↓", onclick: move(1) }),
        el("button", { type: "button", class: "small danger", text: "Delete step", onclick: function () {
          if (!confirm("Delete the step " + step.id + "?")) return;
          doc.steps.splice(index, 1); buildForm(); renderFromForm();
        } }),
      ]));
      box.appendChild(el("div", { class: "step-errors" }));
      if (["message", "choice", "ask"].includes(step.type)) box.appendChild(texts(path.concat(["text"]), step.text, "Text"));
      if (["end", "handoff"].includes(step.type) && step.text) box.appendChild(texts(path.concat(["text"]), step.text, "Text"));
      if (step.type === "choice") {
        (step.buttons || []).forEach(function (button, j) {
          const bpath = path.concat(["buttons", j]);
          box.appendChild(el("div", { class: "button-row", "data-button": button.id }, [
            el("div", { class: "button-id", text: "Button " + button.id }),
            texts(bpath.concat(["label"]), button.label, "Label", true),
            field("Then go to step", input(bpath.concat(["next"]), button.next, { list: "step-ids" })),
          ]));
        });
        box.appendChild(field("If the child types instead, go to", input(path.concat(["on_text"]), step.on_text, { list: "step-ids", placeholder: "(ask to tap a button)" })));
      }
      if (step.type === "ask" || step.type === "condition") {
        const routes = step.type === "ask" ? step.routes : step.branches;
        const list = el("ul", { class: "routes" }, (routes || []).map(function (r) {
          return el("li", { text: "when " + describeWhen(r.when) + " → " + r.next });
        }));
        box.appendChild(el("div", { class: "hint", text: "Routes (edit them in the YAML tab):" }));
        box.appendChild(list);
        box.appendChild(field("Otherwise go to", input(path.concat(["else"]), step["else"], { list: "step-ids", placeholder: "(the step below)" })));
      }
      if (step.type === "message" || step.type === "set") {
        box.appendChild(field("Then go to step", input(path.concat(["next"]), step.next, { list: "step-ids", placeholder: "(the step below)" })));
      }
      if (step.type === "set") {
        box.appendChild(field("Profile field", select(path.concat(["field"]), step.field, ["language", "age", "age_band", "gender"])));
        box.appendChild(field("Value", input(path.concat(["value"]), step.value, { number: true })));
      }
      if (step.type === "link") box.appendChild(field("Go to flow", input(path.concat(["flow"]), step.flow)));
      if (step.type === "handoff") {
        box.appendChild(field("Reason (for the counsellor)", input(path.concat(["reason"]), step.reason)));
        box.appendChild(field("Priority", select(path.concat(["priority"]), step.priority, ["", "normal", "high", "urgent"])));
      }
      return box;
    }

    function newStep(type) {
      const ids = stepIds();
      let n = ids.length + 1;
      while (ids.includes(type + "_" + n)) n++;
      const id = type + "_" + n;
      const empty = { az: "", ru: "", en: "" };
      const next = ids.length ? ids[ids.length - 1] : "";
      const templates = {
        message: { id: id, type: type, text: Object.assign({}, empty) },
        choice: { id: id, type: type, text: Object.assign({}, empty), buttons: [{ id: "b1", label: Object.assign({}, empty), next: next }] },
        ask: { id: id, type: type, text: Object.assign({}, empty), routes: [] },
        set: { id: id, type: type, field: "language", value: "az" },
        condition: { id: id, type: type, branches: [{ when: { on_shift: true }, next: next }] },
        link: { id: id, type: type, flow: "triage" },
        handoff: { id: id, type: type, reason: "", priority: "normal" },
        end: { id: id, type: type },
      };
      return templates[type];
    }

    function buildForm() {
      if (!doc || !Array.isArray(doc.steps)) return;
      const parts = [
        field("Title (for staff)", input(["title"], doc.title)),
        field("Description (for staff)", input(["description"], doc.description, { multiline: true, rows: 2 })),
        el("datalist", { id: "step-ids" }, stepIds().map(function (id) { return el("option", { value: id }); })),
      ];
      doc.steps.forEach(function (step, i) {
        if (step && typeof step === "object") parts.push(stepBox(step, i));
      });
      const typeSelect = el("select", { id: "new-step-type" }, STEP_TYPES.map(function (t) { return el("option", { value: t, text: t }); }));
      parts.push(el("div", { class: "add-step" }, [typeSelect, el("button", { type: "button", text: "Add step", onclick: function () {
        doc.steps.push(newStep(typeSelect.value)); buildForm(); renderFromForm();
      } })]));
      form.replaceChildren.apply(form, parts);
      markFormErrors();
    }

    function markFormErrors() {
      for (const box of form.querySelectorAll("fieldset.step")) {
        const mine = lastErrors.filter(function (e) { return e.step === box.dataset.step; });
        box.classList.toggle("has-error", mine.length > 0);
        const slot = box.querySelector(".step-errors");
        slot.replaceChildren.apply(slot, mine.map(function (e) {
          return el("p", { class: "error", text: e.message + " How to fix: " + e.fix });
        }));
      }
    }

    yaml.addEventListener("input", debounce(function () { check(true); }, 400));

    for (const tab of document.querySelectorAll(".tab")) {
      tab.addEventListener("click", function () {
        for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t === tab);
        form.hidden = tab.dataset.tab !== "form";
        document.getElementById("yaml-pane").hidden = tab.dataset.tab !== "yaml";
      });
    }

    // --- publish ---

    document.getElementById("publish").addEventListener("click", async function () {
      const out = document.getElementById("publish-result");
      out.textContent = "Publishing…";
      const result = await post(`/api/flows/${flowId}/publish`, {
        source: yaml.value, note: document.getElementById("note").value, base_version: baseVersion,
      });
      if (result.status === 201) {
        baseVersion = result.data.version;
        document.getElementById("version-label").textContent = "published v" + baseVersion;
        out.replaceChildren(el("p", { class: "ok", text: "Published as version " + baseVersion +
          ". Children see it from their next message." }),
          el("details", {}, [el("summary", { text: "What changed" }), el("pre", { class: "diff", text: result.data.diff })]));
        document.getElementById("note").value = "";
      } else if (result.status === 422 && result.data && result.data.errors) {
        lastErrors = result.data.errors; showErrors(lastErrors); markFormErrors();
        out.textContent = "Not published: fix the problems listed above first.";
      } else {
        out.textContent = "Not published: " + ((result.data && result.data.detail) || ("error " + result.status));
      }
    });

    // --- the simulator ---

    const simLog = document.getElementById("sim-log");
    let simState = null;

    function situation() {
      return {
        status: document.getElementById("sim-status").value,
        counsellors_on_shift: document.getElementById("sim-onshift").checked,
        queue_position: 2,
        expected_wait_minutes: 5,
      };
    }

    function bubble(who, text) {
      const node = el("div", { class: "msg " + who }, [el("div", { class: "bubble", text: text })]);
      simLog.appendChild(node);
      simLog.scrollTop = simLog.scrollHeight;
      return node;
    }

    async function simulate(event, childText) {
      if (childText) bubble("child", childText);
      const result = await post(`/api/flows/${flowId}/simulate`, {
        source: yaml.value, event: event, state: simState,
        language: document.getElementById("sim-language").value, situation: situation(),
      });
      if (result.status !== 200) { bubble("system", "The simulator failed (" + result.status + ")."); return; }
      const data = result.data;
      if (data.errors && data.errors.length) { bubble("system", "Fix the problems in the flow first, then try again."); return; }
      if (data.analysis) {
        const a = data.analysis;
        bubble("system", "analysis: " + a.category + (a.subcategory ? "/" + a.subcategory : "") +
          ", risk " + a.risk.level + ", language " + a.language);
      }
      for (const reply of data.replies) {
        const node = bubble("bot", reply.text);
        if (reply.buttons.length) {
          node.appendChild(el("div", { class: "sim-buttons" }, reply.buttons.map(function (b) {
            return el("button", { type: "button", class: "sim-button", "data-data": b.data, text: b.label,
              onclick: function () { simulate({ kind: "button", button: b.data }, "[" + b.label + "]"); } });
          })));
        }
      }
      for (const action of data.actions) {
        let text = "→ " + action.kind;
        if (action.kind === "handoff") text = "→ handed to a counsellor (" + action.data.priority + "): " + action.data.reason;
        if (action.kind === "set_profile") text = "→ profile: " + JSON.stringify(action.data);
        bubble("system", text);
      }
      simState = data.state;
    }

    document.getElementById("sim-restart").addEventListener("click", function () {
      simState = null; simLog.replaceChildren(); simulate({ kind: "start" }, null);
    });
    document.getElementById("sim-form").addEventListener("submit", function (e) {
      e.preventDefault();
      const box = document.getElementById("sim-input");
      const text = box.value.trim();
      if (!text) return;
      box.value = "";
      simulate({ kind: "text", text: text }, text);
    });

    check(true);
  }

  // ---------------------------------------------------------------- other pages

  function historyPage(root) {
    const flowId = root.dataset.flow;
    for (const button of root.querySelectorAll("button.rollback")) {
      button.addEventListener("click", async function () {
        const version = parseInt(button.dataset.version, 10);
        if (!confirm("Publish version " + version + " again as the newest version?")) return;
        const out = document.getElementById("rollback-result");
        const result = await post(`/api/flows/${flowId}/rollback`, { version: version });
        if (result.status === 201) {
          out.textContent = "Rolled back: version " + result.data.version + " is now in use.";
          window.location.reload();
        } else {
          out.textContent = "Not rolled back: " + ((result.data && (result.data.detail || "")) || result.status);
        }
      });
    }
  }

  function listPage(formNode) {
    formNode.addEventListener("submit", function (e) {
      e.preventDefault();
      const id = new FormData(formNode).get("flow_id");
      window.location.href = "/flows/" + encodeURIComponent(id);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const editor = document.getElementById("editor");
    if (editor) editPage(editor);
    const history = document.getElementById("history");
    if (history) historyPage(history);
    const newFlow = document.getElementById("new-flow");
    if (newFlow) listPage(newFlow);
  });
})();
