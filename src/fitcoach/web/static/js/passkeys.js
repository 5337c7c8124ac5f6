// Passkeys: a button with data-passkey="signin|signup|add" asks fitcoach for the options,
// the browser's authenticator for a credential, and fitcoach to check it; the outcome
// (or why it failed) is shown in the element named by data-status.
(() => {
  "use strict";

  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  };
  const toText = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  const post = async (path, body) => {
    const answer = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const document = await answer.json();
    if (!answer.ok) throw new Error(document.error || `fitcoach answered ${answer.status}.`);
    return document;
  };

  const serialize = (credential) => {
    const response = credential.response;
    const out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) out.response.transports = response.getTransports();
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) out.response.userHandle = toText(response.userHandle);
    }
    return out;
  };

  const ceremony = async (button) => {
    const purpose = button.dataset.passkey;
    const invitation = button.dataset.invitation || "";
    const status = document.getElementById(button.dataset.status);
    status.textContent = "Waiting for your passkey…";
    button.disabled = true;
    try {
      if (!window.PublicKeyCredential) throw new Error("This browser cannot use passkeys.");
      const options = await post("/auth/passkey/options", { purpose, invitation });
      options.challenge = toBytes(options.challenge);
      let credential;
      if (purpose === "signin") {
        options.allowCredentials = (options.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
        credential = await navigator.credentials.get({ publicKey: options });
      } else {
        options.user.id = toBytes(options.user.id);
        options.excludeCredentials = (options.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
        credential = await navigator.credentials.create({ publicKey: options });
      }
      const outcome = await post("/auth/passkey/finish", {
        purpose, invitation, credential: serialize(credential),
      });
      window.location.assign(outcome.redirect);
    } catch (error) {
      status.textContent = error.name === "NotAllowedError"
        ? "The passkey request was cancelled or timed out. Try again."
        : (error.message || String(error));
      button.disabled = false;
    }
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-passkey]");
    if (button) {
      event.preventDefault();
      ceremony(button);
    }
  });
})();
