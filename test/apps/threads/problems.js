// The app's own error classes: its error handler tells them apart with instanceof.
class NotFoundError extends Error {
  constructor(what) {
    super(what + ' not found');
    this.name = 'NotFoundError';
  }
}
module.exports = { NotFoundError: NotFoundError };
