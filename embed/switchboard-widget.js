// <switchboard-widget>: mounts a Switchboard view inside another page.
//
//   <script src="https://your-host/switchboard-widget.js"></script>
//   <switchboard-widget view="devices" url="ws://127.0.0.1:9001"
//                       filter="devices/+/status,devices/+/telemetry"></switchboard-widget>
//
// Attributes: view (connections | explorer | notifications | devices | dashboards | inspector,
// default devices), url (the broker's ws:// or wss:// URL), filter (comma-separated MQTT
// filters to subscribe to; default: what the view needs), item (a device id, conversation
// topic or dashboard id to open), app (where the app is served; default: the folder this
// script came from). The view runs chrome-less in an isolated frame, so the host page's
// styles and scripts cannot break it, nor it them. Changing an attribute reloads the view.
(() => {
  "use strict";
  const VIEWS = ["connections", "explorer", "notifications", "devices", "dashboards", "inspector"];
  const scriptBase = (() => {
    const src = document.currentScript && document.currentScript.src;
    return src ? new URL(".", src).href : new URL(".", location.href).href;
  })();

  class SwitchboardWidget extends HTMLElement {
    static get observedAttributes() {
      return ["view", "url", "filter", "item", "app", "height"];
    }

    connectedCallback() {
      if (!this.shadowRoot) {
        const root = this.attachShadow({ mode: "open" });
        const style = document.createElement("style");
        style.textContent =
          ":host{display:block;min-height:240px}" +
          "iframe{display:block;width:100%;height:100%;min-height:inherit;border:0;border-radius:inherit}";
        this.frame = document.createElement("iframe");
        this.frame.setAttribute("part", "frame");
        root.append(style, this.frame);
      }
      this.render();
    }

    attributeChangedCallback() {
      if (this.frame) this.render();
    }

    /** The embed URL of the app for the current attributes. */
    get src() {
      const view = VIEWS.includes(this.getAttribute("view")) ? this.getAttribute("view") : "devices";
      const app = new URL(this.getAttribute("app") || scriptBase, location.href);
      const item = this.getAttribute("item");
      const params = new URLSearchParams();
      for (const name of ["url", "filter"]) {
        const value = this.getAttribute(name);
        if (value) params.set(name, value);
      }
      const path = "#/embed/" + view + (item ? "/" + encodeURIComponent(item) : "");
      const query = params.toString();
      return app.origin + app.pathname + path + (query ? "?" + query : "");
    }

    render() {
      const src = this.src;
      if (this.frame.getAttribute("src") !== src) {
        this.frame.setAttribute("title", "Switchboard " + (this.getAttribute("view") || "devices"));
        this.frame.setAttribute("src", src);
      }
      const h = this.getAttribute("height");
      this.style.height = h ? (/^\d+$/.test(h) ? h + "px" : h) : "";
    }
  }

  if (!customElements.get("switchboard-widget")) {
    customElements.define("switchboard-widget", SwitchboardWidget);
  }
})();
