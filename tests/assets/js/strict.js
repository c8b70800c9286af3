/* strict module */
'use strict';
{
    function helper() { return 1; }
    window.strictResult = helper();
}
