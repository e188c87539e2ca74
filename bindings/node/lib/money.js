'use strict';
// A minor-unit amount as text, by libcoord's coord_money_format(): 1234 USD ->
// "12.34 USD", 1234 JPY -> "1234 JPY", 1234 KWD -> "1.234 KWD" -- every ISO
// 4217 currency's decimals, one table for C, Python and Node.
const { c, MONEY_TEXT_MAX } = require('./native');

/**
 * amount (an integer in the currency's smallest unit: a Number or a BigInt)
 * with its decimal point, then the currency code; a code ISO 4217 does not
 * list gets 2 decimals. Throws a TypeError for a currency that is not three
 * upper-case letters or an amount that is not an integer.
 */
function formatMoney(amount, currency) {
  const out = Buffer.alloc(MONEY_TEXT_MAX);
  if (typeof amount === 'number' && !Number.isSafeInteger(amount))
    throw new TypeError(`amount must be a safe integer or a BigInt, not ${amount}`);
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
    throw new TypeError(`currency must be three upper-case letters, not ${currency}`);
  if (c.coord_money_format({ amount, currency }, out, out.length) !== 0)
    throw new TypeError(`${amount} ${currency} cannot be formatted`);
  return out.toString('latin1', 0, out.indexOf(0));
}

module.exports = { formatMoney };
