(function () {
    app.b = app.a(1);
})();