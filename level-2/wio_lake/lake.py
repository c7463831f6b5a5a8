"""Where the lake is, for the tools: names and outputs of the deployed analytics stack."""

from __future__ import annotations

from dataclasses import dataclass

from wio_contract.names import ResourceNames
from wio_tools.environment import AwsEnvironment


@dataclass(frozen=True)
class Lake:
    names: ResourceNames
    bucket: str
    database: str
    table: str
    workgroup: str

    @classmethod
    def of(cls, aws: AwsEnvironment, prefix: str) -> Lake:
        names = ResourceNames(prefix)
        return cls(
            names=names,
            bucket=names.lake_bucket(aws.account(), aws.region),
            database=names.lake_database,
            table=names.lake_table,
            workgroup=names.workgroup,
        )

    @property
    def table_prefix(self) -> str:
        return "readings/"

    @property
    def error_prefix(self) -> str:
        return "errors/"

    def partition_prefix(self, day: str) -> str:
        return f"{self.table_prefix}dt={day}/"
