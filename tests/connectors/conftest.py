from tests.fakes.moto_aws import iam_admin, moto_endpoint, moto_server

__all__ = ["iam_admin", "moto_endpoint", "moto_server"]
from tests.fakes.openbao import bao, openbao

__all__ += ["bao", "openbao"]
