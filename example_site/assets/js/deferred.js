document.documentElement.setAttribute("data-deferred", "ran");
