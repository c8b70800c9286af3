// app.js: the page's namespace. Combined with widgets.js into one minified file by {% slimall %}.
var pipe = window.pipe || {};
pipe.marks = [];
pipe.mark = function (name) {
    pipe.marks.push(name);
    document.documentElement.setAttribute("data-" + name, "ran");
}
pipe.mark("app")  // no semicolon, and a comment last: the joiner must cope
