"""SDMX for the indicators: one data structure, written and read with sdmx1.

The structure EBPM_INDICATORS has the dimensions INDICATOR (the series id) and TIME_PERIOD,
the measure OBS_VALUE, and the attributes UNIT_MEASURE and SOURCE.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]  # sdmx1's own dependency: its tables
import sdmx
from sdmx.message import DataMessage
from sdmx.model import common
from sdmx.model import v21 as m

from ebpm.export.tables import TableWriter
from ebpm.indicators.monitor import Monitor

DSD_ID = "EBPM_INDICATORS"
AGENCY = common.Agency(id="EBPM")


@lru_cache(maxsize=1)
def structure() -> m.DataStructureDefinition:
    dsd = m.DataStructureDefinition(id=DSD_ID, maintainer=AGENCY, version="1.0")
    dsd.dimensions.getdefault("INDICATOR")
    dsd.dimensions.getdefault("TIME_PERIOD", cls=m.TimeDimension)
    dsd.measures.getdefault("OBS_VALUE")
    dsd.attributes.getdefault("UNIT_MEASURE")
    dsd.attributes.getdefault("SOURCE")
    return dsd


def data_message(monitor: Monitor) -> DataMessage:
    """Every current observation of every series as one SDMX data set."""
    dsd = structure()
    measure = dsd.measures[0]
    unit_attr, source_attr = dsd.attributes.get("UNIT_MEASURE"), dsd.attributes.get("SOURCE")
    flow = m.DataflowDefinition(id="EBPM", structure=dsd, maintainer=AGENCY, version="1.0")
    ds = m.StructureSpecificDataSet(structured_by=dsd, described_by=flow)
    for sid in monitor.series:
        observations = monitor.observations(sid)
        if not observations:
            continue
        key = dsd.make_key(m.SeriesKey, {"INDICATOR": sid})
        ds.add_obs(
            [
                m.Observation(
                    value_for=measure,
                    series_key=key,
                    dimension=dsd.make_key(common.Key, {"TIME_PERIOD": o.period}),
                    value=o.value,
                    attached_attribute={
                        "SOURCE": common.AttributeValue(value=o.source, value_for=source_attr),
                        **(
                            {"UNIT_MEASURE": common.AttributeValue(value=o.unit, value_for=unit_attr)}
                            if o.unit
                            else {}
                        ),
                    },
                )
                for o in observations
            ],
            key,
        )
    return DataMessage(data=[ds], dataflow=flow)


def write_sdmx_ml(monitor: Monitor, path: Path) -> int:
    """Write SDMX-ML (2.1, structure-specific); returns the number of observations."""
    message = data_message(monitor)
    path.write_bytes(sdmx.to_xml(message, pretty_print=True))
    return sum(len(ds.obs) for ds in message.data)


def write_sdmx_csv(monitor: Monitor, path: Path) -> int:
    """Write SDMX-CSV (2.0, through sdmx1's pandas converter); returns the number of observations.

    The table goes through the one CSV writer, so that a source or unit cannot carry a spreadsheet
    formula; OBS_VALUE stays a number."""
    message = data_message(monitor)
    table: Any = sdmx.to_csv(message.data[0], rtype=pd.DataFrame, attributes="o")
    cells = table.astype(object).where(table.notna(), None)  # a missing attribute is an empty cell
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = TableWriter(fh, lineterminator="\n")
        writer.writerow(cells.columns)
        writer.writerows(cells.itertuples(index=False, name=None))
    return sum(len(ds.obs) for ds in message.data)
