// Runs a library in a fresh vm context and prints, as JSON on its last line, what a few of its
// functions return: the same values before and after minifying mean the same behaviour there.
"use strict";
const vm = require("vm");
const fs = require("fs");

const [kind, file] = process.argv.slice(2);
const context = vm.createContext({ console: { log() {}, warn() {}, info() {} } });
vm.runInContext(fs.readFileSync(file, "utf8"), context, { filename: file });
const probes = {
  // d3's formatters, colours, paths and parsers build strings with (nested) template literals
  d3: `[d3.format(",.2f")(1234.5), d3.scaleLinear().domain([0, 10]).range([0, 100])(5),
        String(d3.rgb(10, 20, 30)), String(d3.hsl("steelblue")), d3.timeFormat("%Y-%m-%d")(new Date(2020, 0, 2)),
        d3.csvParse("a,b\\n1,2").columns.join("|"), d3.line()([[0, 0], [1, 1], [2, 0]]),
        d3.arc()({innerRadius: 0, outerRadius: 10, startAngle: 0, endAngle: 1})]`,
  // Vue's template compiler writes render functions with nested template literals
  vue: `[Vue.compile('<div :class="{ a: ok }" @click="go(1)"><p v-for="x in xs" :key="x">{{ x }} and {{ y }}</p>' +
         '<span v-if="ok">yes</span><input v-model="name"></div>').toString()]`,
};
console.log(JSON.stringify(vm.runInContext(probes[kind], context)));
