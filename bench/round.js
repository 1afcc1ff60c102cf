// Figures are kept and shown to two decimals.
"use strict";

function round2(x) {
  return Math.round(x * 100) / 100;
}

module.exports = { round2 };
