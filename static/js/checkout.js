// The billing page's card form: Stripe.js confirms the PaymentIntent the server created
// (its amount fixed there), then this polls the top-up until Stripe's webhook credits it.
// The balance is never credited from here: only the server's webhook does that.

const POLL_MS = 1500;
const POLL_LIMIT = 80;

function say(element, text, kind) {
  element.textContent = text;
  element.className = kind ? `alert ${kind}` : "";
}

async function pollStatus(url, message) {
  for (let attempt = 0; attempt < POLL_LIMIT; attempt += 1) {
    await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) {
        continue;
      }
      const topUp = await response.json();
      if (topUp.status === "succeeded") {
        say(message, "Your balance is credited.", "success");
        window.setTimeout(() => window.location.assign(window.location.pathname.replace(/top-up\/$/, "")), 1500);
        return;
      }
      if (topUp.status === "failed" || topUp.status === "canceled") {
        say(message, topUp.failure_message || "The payment did not go through.", "error");
        return;
      }
    } catch {
      // A network blip: keep polling.
    }
  }
  say(message, "Payment received; your balance is credited when Stripe confirms it. Reload this page later.", "info");
}

function start() {
  const root = document.getElementById("checkout");
  if (!root || typeof window.Stripe !== "function") {
    return;
  }
  const message = document.getElementById("checkout-message");
  const button = document.getElementById("pay-button");
  const stripe = window.Stripe(root.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  button.disabled = false;

  button.addEventListener("click", async () => {
    button.disabled = true;
    say(message, "Confirming your payment…", "");
    const result = await stripe.confirmCardPayment(root.dataset.clientSecret, {
      payment_method: { card },
    });
    if (result.error) {
      say(message, result.error.message || "The payment did not go through.", "error");
      button.disabled = false;
      return;
    }
    say(message, "Payment received; your balance is credited when Stripe confirms it.", "info");
    await pollStatus(root.dataset.statusUrl, message);
  });
}

start();
