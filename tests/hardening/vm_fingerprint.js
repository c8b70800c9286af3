// Runs scripts in fresh node `vm` contexts and prints what each run leaves behind, as JSON.
// Usage: node vm_fingerprint.js RUNS.json  where RUNS.json is [[file, file, ...], ...]: the files of
// one run are executed in order in one context (as a page's scripts share one window).
"use strict";
const fs = require("fs");
const vm = require("vm");

// An object that is anything: every property, call and construction gives another such object.
function anything(path) {
  const target = function () {};
  return new Proxy(target, {
    get(_t, key) {
      if (key === Symbol.toPrimitive) return () => "";
      if (key === Symbol.iterator) return function* () {};
      if (key === "then") return undefined; // not a promise
      if (key === "length") return 0;
      if (key === "nodeType") return 9;
      if (key === "readyState") return "complete";
      return anything(path + "." + String(key));
    },
    apply() { return anything(path + "()"); },
    construct() { return anything("new " + path); },
    has() { return true; },
  });
}

function fingerprint(files) {
  const sandbox = { console: { log() {}, warn() {}, error() {}, info() {}, debug() {} } };
  for (const name of ["document", "navigator", "location", "history", "localStorage", "sessionStorage",
                      "getComputedStyle", "matchMedia", "requestAnimationFrame", "MutationObserver",
                      "HTMLElement", "Element", "Node", "Event", "CustomEvent", "XMLHttpRequest"]) {
    sandbox[name] = anything(name);
  }
  // What Django's JavaScript catalog (jsi18n) defines on a real admin page.
  sandbox.gettext = (s) => s; sandbox.gettext_noop = (s) => s; sandbox.pgettext = (_c, s) => s;
  sandbox.ngettext = (s, p, n) => (n === 1 ? s : p); sandbox.npgettext = (_c, s, p, n) => (n === 1 ? s : p);
  sandbox.interpolate = (f) => f; sandbox.get_format = () => "";
  sandbox.setTimeout = () => 0; sandbox.clearTimeout = () => {}; sandbox.setInterval = () => 0;
  sandbox.addEventListener = () => {}; sandbox.removeEventListener = () => {};
  const context = vm.createContext(sandbox);
  vm.runInContext("var window = this; var self = this; var globalThis_ = this;", context);
  const before = new Set(Object.getOwnPropertyNames(context));
  const errors = [];
  for (const file of files) {
    try {
      vm.runInContext(fs.readFileSync(file, "utf8"), context, { filename: "script.js", timeout: 10000 });
    } catch (error) {
      errors.push(String(error && error.name) + ": " + String(error && error.message).slice(0, 200));
    }
  }
  const globals = {};
  for (const name of Object.getOwnPropertyNames(context).sort()) {
    if (before.has(name)) continue;
    const value = context[name];
    let shape = typeof value;
    if (typeof value === "function") shape += "/" + value.length;
    else if (value && typeof value === "object") shape += "/" + Object.keys(value).sort().join(",").slice(0, 2000);
    globals[name] = shape;
  }
  return { errors, globals };
}

const runs = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
process.stdout.write(JSON.stringify(runs.map(fingerprint)));
