"""Expand template.yaml with aws-sam-translator, the library AWS itself uses, and print
the resulting CloudFormation as JSON on stdout.

The local stack reads the expanded template so that Globals, HttpApi events, the JWT
authorizer, event source mappings and schedules mean locally what they mean on AWS.
The translator wants S3 locations for code, so each local CodeUri is swapped for a
placeholder and restored afterwards under Metadata.LocalCodeUri.

CloudFormation runs the transform with the stack's parameter values, and the
translator substitutes them into some properties itself (an HTTP API's
CorsConfiguration, for one); the local stack's values come as a JSON object of
strings in the optional second argument, and the translator uses the template's
defaults for the rest.

A role's AWS managed policies (ManagedPolicyArns naming arn:aws:iam::aws:policy/…) are
documents only AWS holds; moto ships a copy of them, taken from AWS
(moto/iam/aws_managed_policies.py). Their documents go in the output under the
top-level key LocalManagedPolicies, by ARN, so the local stack can enforce them as it
enforces the template's own policies. A name moto does not know is left out, and the
stack refuses to enforce a role that needs it.

usage: python3 expand.py TEMPLATE [PARAMETERS_JSON]  (AWS_DEFAULT_REGION must be set)
"""
import json
import sys

import boto3  # noqa: F401  (the translator imports it; fail early with a clear message)
from samtranslator.parser.parser import Parser
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

PLACEHOLDER = "s3://local-code/"


def main(path, parameter_values):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    code_uris = {}
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.get("Properties") or {}
        uri = props.get("CodeUri")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(uri, str) and not uri.startswith("s3://"):
            code_uris[logical_id] = uri
            props["CodeUri"] = PLACEHOLDER + logical_id
    # Globals may hold CodeUri too.
    glob = template.get("Globals", {}).get("Function", {})
    if isinstance(glob.get("CodeUri"), str) and not glob["CodeUri"].startswith("s3://"):
        for logical_id, resource in template.get("Resources", {}).items():
            if resource.get("Type") == "AWS::Serverless::Function" and logical_id not in code_uris:
                code_uris[logical_id] = glob["CodeUri"]
        glob["CodeUri"] = PLACEHOLDER + "globals"

    # The template names managed policies by ARN, so the translator never asks the
    # policy loader (here a stand-in) and stays offline.
    output = transform(template, parameter_values, Parser())
    for logical_id, uri in code_uris.items():
        resource = output["Resources"].get(logical_id)
        if resource is not None:
            resource.setdefault("Metadata", {})["LocalCodeUri"] = uri
    output["LocalManagedPolicies"] = managed_policies(output)
    json.dump(output, sys.stdout, indent=1, sort_keys=True, default=str)


def managed_policies(output):
    """The documents of the AWS managed policies the template's roles attach, by ARN."""
    arns = set()
    for resource in output.get("Resources", {}).values():
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        for arn in (resource.get("Properties") or {}).get("ManagedPolicyArns") or []:
            if isinstance(arn, dict) and isinstance(arn.get("Fn::Sub"), str):
                arn = arn["Fn::Sub"].replace("${AWS::Partition}", "aws")
            if isinstance(arn, str) and arn.startswith("arn:aws:iam::aws:policy/"):
                arns.add(arn)
    if not arns:
        return {}
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    known = {}
    for name, policy in json.loads(aws_managed_policies_data).items():
        known["arn:aws:iam::aws:policy" + policy.get("Path", "/") + name] = policy["Document"]
    return {arn: known[arn] for arn in sorted(arns) if arn in known}


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) == 3 else "{}") or {})
