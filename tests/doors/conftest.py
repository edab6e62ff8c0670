from tests.scenarios.conftest import blastwall, github, iam_admin, moto_endpoint, moto_server, slack

__all__ = ["blastwall", "github", "iam_admin", "moto_endpoint", "moto_server", "slack"]
