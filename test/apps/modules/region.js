// Sets a global at start-up (as some apps do with their configuration): each thread has globals of its own.
globalThis.APP_REGION = process.env.APP_REGION || 'eu-west';
