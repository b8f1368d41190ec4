"""AWS provider package: the class lives in provider.py; options, discovery, metrics, logs, alarms, cost, limits beside it."""

from srvmon.providers.aws.options import AwsOptions
from srvmon.providers.aws.provider import AwsProvider

__all__ = ["AwsOptions", "AwsProvider"]
