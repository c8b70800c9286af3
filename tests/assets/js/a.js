// a.js: defines the app namespace
var app = window.app || {};
app.a = function (value) {
    return value + 1;
}  // no semicolon, ends in a comment
