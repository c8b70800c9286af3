(function () {
    // Starts with "(": concatenated after app.js without a separator, this would call app.js's last value.
    pipe.mark("widgets");
    document.addEventListener("DOMContentLoaded", function () {
        document.getElementById("status").textContent = "scripts ran: " + pipe.marks.join(", ");
    });
})();
