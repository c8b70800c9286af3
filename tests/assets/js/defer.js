window.deferred = true;
