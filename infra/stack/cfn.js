'use strict';
/** CloudFormation's intrinsic functions, as the JSON the template holds them in. */

const ref = (name) => ({ Ref: name });
const getAtt = (name, attr) => ({ 'Fn::GetAtt': [name, attr] });
/** Fn::Join with no separator. */
const join = (parts) => ({ 'Fn::Join': ['', parts] });
/** `arn:<partition>:s3:::<rest...>`: a bucket's ARN, or its objects' with a `/<key pattern>` part. */
const s3Arn = (...rest) => join(['arn:', ref('AWS::Partition'), ':s3:::', ...rest]);

module.exports = { ref, getAtt, join, s3Arn };
