// A class whose objects are made per call: no state of the module's own.
class Parser {
  constructor(text) {
    this.text = text;
    this.words = [];
  }
  parse() {
    for (var word of this.text.split(/\s+/)) if (word) this.words.push(word.toUpperCase());
    return this.words;
  }
}
module.exports = Parser;
