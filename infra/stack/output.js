'use strict';
/** The output side: the lake's folders in the output bucket (lib/lake/layout.ts, through ./lib). */
const { getAtt, join } = require('./cfn');
const { layout } = require('./lib');

/** The output objects the functions may write: everything under the lake's folders (`logs/`, `rejects/`). */
function outputWriteArns() {
  return Object.values(layout().KIND_DIRS).map((dir) => join([getAtt('OutputBucket', 'Arn'), `/${dir}*`]));
}

/** The key prefix of reject files, which expire (infra/storage.yml). */
function rejectsPrefix() {
  return layout().KIND_DIRS.rejects;
}

module.exports = { outputWriteArns, rejectsPrefix };
