// NHS.UK frontend components (progressive enhancement: every page works without this).
import { initAll } from '/static/vendor/nhsuk-frontend/nhsuk-frontend.min.js';

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();
