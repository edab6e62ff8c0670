"""Seeded fake secrets, one per form Blastwall must redact (issue 8, section 1).

Every value is made up; each is distinct so a test can name the one that leaked.
``NEEDLES`` are the parts that must never appear anywhere once redacted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


def _fill(prefix: str, length: int, alphabet: str = "A1b2C3d4E5f6G7h8J9k0") -> str:
    body = (alphabet * (length // len(alphabet) + 1))[: length - len(prefix)]
    return prefix + body


@dataclass(frozen=True)
class Seed:
    name: str
    text: str
    needles: tuple[str, ...]


AWS_ID_1, AWS_ID_2, AWS_ID_3 = (
    "AKIAQSEEDED000000001",
    "AKIAQSEEDED000000002",
    "ASIAQSEEDED000000003",
)
AWS = [_fill(f"Sd{i}SeededAwsSecret/", 40, "Xy7+Qz9/Wv3Tu5") for i in range(1, 7)]
PEM_BODY = ["MIIEowIBAAKCAQEAseededPemBodyLineOne0123456789abcdefABCDEF", "seededPemBodyTwo+/Zz"]
CUT_BODY = ["b3BlbnNzaC1rZXktdjEAAAAAseededCutBodyLine0000", "seededCutBodyLineTwo1111"]
ENCRYPTED_BODY = "MIIFHzBJBgkqhkiG9w0BBQ0wPDAbseededEncryptedBody1515"
GCP_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCseededGcpBody2222"
GCP_JSON = json.dumps(
    {
        "type": "service_account",
        "project_id": "seeded-project",
        "private_key_id": "4f2c0c3e8a1b9d7e6f5a4b3c2d1e0f9a8b7c6d5e",
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{GCP_BODY}\n-----END PRIVATE KEY-----\n",
        "client_email": "seeded@seeded-project.iam.gserviceaccount.com",
    }
)
AZURE_NAMED = "seededAzureClientSecretValue_3333"
AZURE_BARE = "Zx98Q~" + _fill("", 34, "aB3dE5fG7hJ9kL1mN")
SLACK_BOT = "xoxb-100000000001-200000000002-SeededSlackBotToken4444"
SLACK_USER = "xoxp-100000000001-200000000002-300000000003-seededslackuser5555"
SLACK_APP = "xapp-1-A0SEEDED01-100000000004-seededslackapptoken6666"
GITHUB = {p: _fill(f"{p}_Seeded", 40) for p in ("ghp", "gho", "ghs", "ghu", "ghr")}
GITHUB_PAT = "github_pat_11SEEDED0" + _fill("_Seeded", 70)
JWT_SIG = "c2VlZGVkLWp3dC1zaWduYXR1cmUtNzc3Nw"
JWT = f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWVkZWQtYWdlbnQifQ.{JWT_SIG}"
SK = _fill("sk-Seeded", 48)
SK_PROJ = _fill("sk-proj-Seeded", 60)
SK_ANT = _fill("sk-ant-api03-Seeded", 90)
BEARER = "seededBearerToken.8888.xyz"
PASSWORD_PAIR = "Seeded-Password-9999!"
SECRET_PAIR = "seededSecretPairValue0000"
TOKEN_PAIR = "seededTokenPairValue1212"
PASSWORD_JSON = "Seeded Json Password 1313"
CSV_PASSWORD = "Seeded-Console-Pw-1414"

SEEDS: tuple[Seed, ...] = (
    Seed("aws named", f"aws_secret_access_key={AWS[0]}", (AWS[0],)),
    Seed("aws env", f"AWS_SECRET_ACCESS_KEY: {AWS[1]}", (AWS[1],)),
    Seed("aws json", f'{{"SecretAccessKey": "{AWS[2]}"}}', (AWS[2],)),
    Seed("aws csv", f"Access key ID,Secret access key\n{AWS_ID_1},{AWS[3]}\n", (AWS[3],)),
    Seed(
        "aws console csv",
        "User name,Password,Access key ID,Secret access key,Console login link\n"
        f"ci-bot,{CSV_PASSWORD},{AWS_ID_2},{AWS[4]},https://example.signin.aws.amazon.com/console\n",
        (AWS[4], CSV_PASSWORD),
    ),
    Seed("aws bare", f"pasted {AWS_ID_3} {AWS[5]} in the wiki", (AWS[5],)),
    Seed(
        "pem",
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join(PEM_BODY)
        + "\n-----END RSA PRIVATE KEY-----",
        tuple(PEM_BODY),
    ),
    Seed(
        "pem encrypted",
        f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{ENCRYPTED_BODY}\n"
        "-----END ENCRYPTED PRIVATE KEY-----",
        (ENCRYPTED_BODY,),
    ),
    Seed("gcp service account", GCP_JSON, (GCP_BODY,)),
    Seed("azure named", f"client_secret={AZURE_NAMED}", (AZURE_NAMED,)),
    Seed("azure bare", f"the app secret {AZURE_BARE} leaked", (AZURE_BARE,)),
    Seed("slack bot", f"bot {SLACK_BOT}", (SLACK_BOT, "SeededSlackBotToken4444")),
    Seed("slack user", f"user {SLACK_USER}", (SLACK_USER, "seededslackuser5555")),
    Seed("slack app", f"app {SLACK_APP}", (SLACK_APP, "seededslackapptoken6666")),
    *(Seed(f"github {p}", f"pushed {t} to main", (t,)) for p, t in GITHUB.items()),
    Seed("github pat", f"pat {GITHUB_PAT}", (GITHUB_PAT,)),
    Seed("jwt", f"agent presented {JWT}", (JWT, JWT_SIG)),
    Seed("sk", f"key {SK}", (SK,)),
    Seed("sk proj", f"key {SK_PROJ}", (SK_PROJ,)),
    Seed("sk ant", f"key {SK_ANT}", (SK_ANT,)),
    Seed("bearer", f"Authorization: Bearer {BEARER}", (BEARER,)),
    Seed("password pair", f"password={PASSWORD_PAIR}", (PASSWORD_PAIR,)),
    Seed("secret pair", f"secret={SECRET_PAIR}", (SECRET_PAIR,)),
    Seed("token pair", f"token={TOKEN_PAIR}", (TOKEN_PAIR,)),
    Seed("json password", f'{{"password": "{PASSWORD_JSON}"}}', (PASSWORD_JSON,)),
    # Last: a block cut off before its END line is redacted to the end of the text.
    Seed(
        "pem cut off",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(CUT_BODY),
        tuple(CUT_BODY),
    ),
)
NEEDLES: tuple[str, ...] = tuple(n for s in SEEDS for n in s.needles)
CORPUS = "\n".join(f"{s.name}: {s.text}" for s in SEEDS)
