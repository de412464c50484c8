// An audible alert. Browsers allow sound only after a click on the page, so the counsellor turns
// it on with a button (that click is the permission); the choice is remembered for the tab.
const KEY = "helpline.sound";
let context = null;

export function soundEnabled() {
  return Boolean(context) && sessionStorage.getItem(KEY) === "on";
}

export function setupSoundToggle(button) {
  const render = () => {
    const on = soundEnabled();
    button.textContent = on ? "Sound on ♪" : "Enable sound";
    button.setAttribute("aria-pressed", String(on));
  };
  button.addEventListener("click", async () => {
    if (soundEnabled()) {
      sessionStorage.setItem(KEY, "off");
    } else {
      context = context || new (window.AudioContext || window.webkitAudioContext)();
      await context.resume();
      sessionStorage.setItem(KEY, "on");
      beep(1);
    }
    render();
  });
  // A reload loses the permission: any first click re-arms the sound if it was on.
  if (sessionStorage.getItem(KEY) === "on") {
    document.addEventListener("click", () => {
      if (!context) {
        context = new (window.AudioContext || window.webkitAudioContext)();
        context.resume().then(render);
      }
    }, { once: true, capture: true });
  }
  render();
}

export function beep(times = 3) {
  if (!soundEnabled()) return false;
  const start = context.currentTime + 0.05;
  for (let i = 0; i < times; i++) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = i % 2 ? 660 : 880;
    const t = start + i * 0.35;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.4, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.25);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(t);
    oscillator.stop(t + 0.3);
  }
  // Counted on the page, so a browser test can tell an alert sounded.
  document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
  return true;
}
