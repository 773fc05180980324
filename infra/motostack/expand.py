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
    json.dump(output, sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) == 3 else "{}") or {})
