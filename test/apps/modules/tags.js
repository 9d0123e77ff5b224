var list = [];
module.exports = { list: list };
