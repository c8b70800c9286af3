"use strict";
window.alsoStrict = true;
