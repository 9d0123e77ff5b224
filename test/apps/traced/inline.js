'use strict';
// The same app with its tracing set up by its own first line instead of a preload: fluxion's workers have no copy
// of the tracer's context, so they cannot tell whether code reads it there: every request stays on the main loop.
require('./tracing');
require('./app');
