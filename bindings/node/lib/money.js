'use strict';
// A minor-unit amount as text: 1234 USD -> "12.34 USD". The one place that
// formats money: when the library offers coord_money_format(), this calls it.

// ISO 4217 currencies whose minor unit is not 2 digits (the rest have 2).
const MINOR_DIGITS = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0,
  UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/**
 * amount (a safe integer, in the currency's smallest unit) with its decimal
 * point, then the currency code; unknown codes get 2 digits.
 */
function formatMoney(amount, currency) {
  const digits = MINOR_DIGITS[currency] ?? 2;
  const negative = amount < 0;
  const text = String(Math.abs(amount)).padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = digits ? '.' + text.slice(text.length - digits) : '';
  return `${negative ? '-' : ''}${whole}${fraction} ${currency}`;
}

module.exports = { formatMoney };
