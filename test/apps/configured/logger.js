'use strict';
// A logger module as apps write one: winston's formats destructured, a format of the app's, a stream for morgan.
const winston = require('winston');
const { combine, printf, errors } = winston.format;
const env = process.env.NODE_ENV || 'development';
const logFormat = printf(({ level, message, stack }) => `${level}> ${stack || message}`);
const logger = winston.createLogger({
  level: env === 'development' ? 'debug' : 'info',
  format: combine(errors({ stack: true }), logFormat),
  transports: [new winston.transports.Console()],
});
logger.stream = {
  write: (message) => logger.http(message.trim()),
};
module.exports = logger;
