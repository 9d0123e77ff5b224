// A preload of the user's own (an APM agent, tsx…): workers must run it too.
globalThis.PRELOADED_BY = 'the user preload';
