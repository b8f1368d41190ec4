"""The `[providers.NAME] type = "oci"` option schema (keys and tokens are never options: see auth.py)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from srvmon.providers.base import NetworkOptions
from srvmon.schema import PositiveFloat, Url

#: ocid1.<type>.<realm>.[region][.future].<unique>
OCID_RE = re.compile(r"^ocid1\.(?P<type>[a-z0-9]+)\.[a-z0-9-]+(\.[a-z0-9-]*){1,2}\.[a-z0-9]{2,}$")
#: us-ashburn-1, eu-frankfurt-1, ap-chuncheon-1, us-gov-ashburn-1 ...
REGION_RE = re.compile(r"^[a-z]{2,}(-[a-z]+)+-[0-9]+$")


def _ocid(v: str, *types: str) -> str:
    m = OCID_RE.fullmatch(v)
    if not m or m.group("type") not in types:
        raise ValueError(
            f"{v!r} is not an OCID of a {' or '.join(types)} (ocid1.{types[0]}.oc1..<unique id>)"
        )
    return v


class OciOptions(NetworkOptions):
    """Options of an Oracle Cloud Infrastructure Functions provider instance."""

    region: str
    """The region of the functions and of the Monitoring endpoint, e.g. 'us-ashburn-1'."""
    compartment_id: str
    """OCID of the compartment holding the function applications (the tenancy OCID for the root)."""
    compartment_in_subtree: bool = False
    """Also read sub-compartments (only allowed when compartment_id is the tenancy; needs tenancy-wide
    read permissions)."""
    auth: Literal["config_file", "instance_principal"] = "config_file"
    """How to sign requests: an API key from an OCI config-file profile, or the instance principal of
    the compute instance srvmon runs on."""
    config_file: str = "~/.oci/config"
    """The OCI CLI/SDK config file (auth = "config_file")."""
    profile: str = "DEFAULT"
    """The profile of config_file ([DEFAULT] values are inherited, as the OCI SDKs do)."""
    tenancy: str | None = None
    """Tenancy OCID; default: the profile's `tenancy` (or the instance certificate's)."""
    functions: list[str] = []
    """Function display names or `*` patterns to watch (MQL fuzzy match on resourceDisplayName); empty = all."""
    monitoring_endpoint: Url | None = None
    """Monitoring API endpoint override; default https://telemetry.{region}.oraclecloud.com."""
    auth_endpoint: Url | None = None
    """Identity federation endpoint for instance principals; default https://auth.{region}.oraclecloud.com."""
    metadata_url: Url = "http://169.254.169.254/opc/v2"
    """Instance metadata service base URL (instance principals read their certificate there)."""
    ca_bundle: str | None = None
    """A PEM file of extra trusted CAs (TLS-inspecting proxies, tests)."""
    max_tps: float = Field(default=5.0, gt=0, le=10)
    """Monitoring calls per second srvmon allows itself (the service allows 10 TPS per tenancy, shared by
    every user and tool of the tenancy)."""
    retries: int = Field(default=2, ge=0, le=5)
    """Retries of a 429 (TooManyRequests) or 5xx answer, after 0.5 s, 1 s, 2 s (or Retry-After)."""
    price_per_million_datapoints: float = Field(default=0.0015, ge=0, le=100)
    """USD per million datapoints retrieved, for the usage estimate (OCI Monitoring retrieval price;
    the first billion a month are free, which this estimate does not subtract)."""
    total_concurrency_mb: PositiveFloat | None = None
    """The tenancy's total-concurrency-mb limit for the region (Governance > Limits, Quotas and Usage >
    Functions); enables the `total_concurrency` capacity limit."""
    provisioned_concurrency_mb: PositiveFloat | None = None
    """The provisioned-concurrency-mb limit for the region; enables the `provisioned_concurrency` limit."""

    @field_validator("region")
    @classmethod
    def _v_region(cls, v: str) -> str:
        if not REGION_RE.fullmatch(v):
            raise ValueError(f"{v!r} is not an OCI region identifier; write e.g. 'us-ashburn-1'")
        return v

    @field_validator("compartment_id")
    @classmethod
    def _v_compartment(cls, v: str) -> str:
        return _ocid(v, "compartment", "tenancy")

    @field_validator("tenancy")
    @classmethod
    def _v_tenancy(cls, v: str | None) -> str | None:
        return None if v is None else _ocid(v, "tenancy")

    @field_validator("functions")
    @classmethod
    def _v_functions(cls, v: list[str]) -> list[str]:
        for name in v:
            if not re.fullmatch(r"[A-Za-z0-9_.*/ -]{1,255}", name):
                raise ValueError(f"{name!r} is not a function name or * pattern")
        return v

    @model_validator(mode="after")
    def _subtree(self) -> OciOptions:
        if self.compartment_in_subtree and not self.compartment_id.startswith("ocid1.tenancy."):
            raise ValueError("compartment_in_subtree = true needs compartment_id to be the tenancy OCID")
        return self

    def monitoring_url(self) -> str:
        return (self.monitoring_endpoint or f"https://telemetry.{self.region}.oraclecloud.com") + "/20180401"

    def auth_url(self) -> str:
        return (self.auth_endpoint or f"https://auth.{self.region}.oraclecloud.com") + "/v1/x509"
