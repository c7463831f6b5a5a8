"""Athena named queries over the lake, saved in the level-1 workgroup.

Left out with ``local=true``: ``AWS::Athena::NamedQuery`` makes the emulator's CloudFormation
refuse the whole template.
"""

from __future__ import annotations

from aws_cdk import aws_athena as athena
from constructs import Construct

from analytics_infra.queries import load_queries
from wio_contract.names import ResourceNames


class LakeQueries(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, names: ResourceNames) -> None:
        super().__init__(scope, construct_id)
        self.queries: dict[str, athena.CfnNamedQuery] = {}
        for name, query in load_queries().items():
            self.queries[name] = athena.CfnNamedQuery(
                self,
                "".join(part.title() for part in name.split("-")),
                name=f"{names.prefix}-lake-{name}",
                description=query.description[:1024],
                database=names.lake_database,
                work_group=names.workgroup,
                query_string=query.render(database=names.lake_database, table=names.lake_table),
            )
