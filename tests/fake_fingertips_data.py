"""The observations and metadata of the loopback fake Fingertips API (a mixin of
:class:`fake_fingertips.FakeFingertips`).

:class:`FakeData` turns a tidy table into the server's export rows once (numbers formatted as
.NET writes them, rows in the server's order: :mod:`fake_fingertips_csv`), then writes each
``all_data/csv`` body and each ``IndicatorMetadata`` object on request. It expects the
attributes that :class:`~fake_fingertips.FakeFingertips` sets before calling
:meth:`FakeData._prepare`: ``geography``, ``csv_format``, ``region_names``, ``_raw_names``,
``_next_meta``, ``_area_type_by_id``, ``_category_parents``, ``_lock`` and ``_csv_cache``.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import pandas as pd

import fake_fingertips_reference as ref
from cw_pophealth import catalogue, schema
from cw_pophealth.fingertips import parse
from fake_fingertips_csv import (
    DATA_COLUMNS,
    HEADER,
    TIER_LABELS,
    CsvFormat,
    csv_text,
    dotnet_number,
)

ENGLAND = catalogue.ENGLAND
T_ENGLAND = catalogue.AREA_TYPE_ENGLAND
T_REGION = catalogue.AREA_TYPE_REGION
T_DISTRICT_UA = catalogue.AREA_TYPE_DISTRICT_UA
T_COUNTY_UA = catalogue.AREA_TYPE_COUNTY_UA
AREA_TYPE_IDS = (T_ENGLAND, T_REGION, T_DISTRICT_UA, T_COUNTY_UA)

# Synthetic test fixture: the tidy extracts do not carry the age band, so a plausible label per
# indicator is used (fingertipsR documents e.g. "18+ yrs", "All ages").
AGE_LABELS = {90366: "All ages", 90362: "All ages", 92443: "18+ yrs", 93015: "19+ yrs",
              93088: "18+ yrs", 93881: "18+ yrs", 93722: "<75 yrs", 92778: "18+ yrs"}


def area_type_label(code: str) -> str:
    """The per-area ``Area Type`` label of a code (the ``area_type_id``-only path, C21)."""
    return TIER_LABELS.get(str(code)[:3], "Other")


class FakeData:
    """Observations, area names and indicator metadata, as the server writes them."""

    # -- data preparation ---------------------------------------------------------------------
    def _extra_tables(self, extracts_dir: Path | None) -> list[pd.DataFrame]:
        """The real 2017 export (with its category rows) and the synthetic fixtures."""
        frames = []
        sample = (Path(extracts_dir) / "api_samples" / "fingertips_export_indicators-"
                  "CountyUA.data.csv") if extracts_dir else None
        if sample is not None and sample.is_file():
            raw = parse.as_pandas(parse.parse_fingertips_csv(sample.read_bytes(), str(sample)))
            frame = parse.tidy_from_fingertips_csv(
                raw, source="Fingertips CSV export (api_samples)", source_ref=sample.name,
                release="Fingertips CSV export (api_samples, about 2017)",
                release_date="2020-12-27", include_categories=True)
            # The real name ends in a line feed, which the server writes inside quotes (C9).
            frames.append(frame.assign(indicator_name=str(raw["Indicator Name"].iloc[0])))
        frames.append(self._synthetic_observations())
        return frames

    def _synthetic_observations(self) -> pd.DataFrame:
        """Synthetic test fixture: IMD 2019 scores (93553) for England and every district,
        county and UA, and an indicator with ethnic-group rows and a goal."""
        geo = self.geography
        rows = []
        codes = sorted({ENGLAND} | set(geo.areas(T_COUNTY_UA)["area_code"])
                       | set(geo.areas(T_DISTRICT_UA)["area_code"]))
        for code in codes:
            rows.append({"indicator_id": ref.IMD_2019, "indicator_name": ref.IMD_2019_NAME,
                         "area_code": code, "sex": "Persons", "age": "All ages",
                         "period": "2019", "value": ref.synthetic_score(code)})
        ethnic = next(t for t in ref.CATEGORY_TYPES if t["Id"] == 4)
        for code in [ENGLAND, *sorted(geo.areas(T_COUNTY_UA)["area_code"])]:
            for year in (2022, 2023):
                base = ref.synthetic_score(f"{code}{year}", 40, 70)
                rows.append({"indicator_id": ref.ETHNICITY_INDICATOR, "area_code": code,
                             "indicator_name": ref.ETHNICITY_INDICATOR_NAME, "sex": "Persons",
                             "age": "All ages", "period": str(year), "value": base,
                             "compared_to_goal": "Green" if base >= 55 else "Red"})
                if code == ENGLAND:
                    headline = rows[-1]
                    for cat in ethnic["Categories"]:
                        rows.append({**headline, "category_type": ethnic["Name"],
                                     "category": cat["Name"], "compared_to_goal": pd.NA,
                                     "value": base + cat["Id"]})
        frame = pd.DataFrame(rows).assign(
            area_name=lambda d: d["area_code"].map(lambda c: self._raw_names.get(c, c)),
            area_type=lambda d: d["area_code"].map(area_type_label),
            source="synthetic test fixture", source_ref="fake_fingertips_reference.py")
        from cw_pophealth.periods import add_period_bounds

        return schema.coerce_tidy(add_period_bounds(frame))

    def _prepare(self, data: pd.DataFrame) -> None:
        geo = self.geography
        self._type_codes = {t: set(geo.areas(t)["area_code"]) for t in AREA_TYPE_IDS}
        self._parent_of: dict[tuple[int, int], dict[str, str]] = {}
        for child in AREA_TYPE_IDS:
            for parent in AREA_TYPE_IDS:
                if parent == T_ENGLAND:
                    mapping = {code: ENGLAND for code in self._type_codes[child]}
                else:
                    mapping = {kid: par for par, kids in geo.parent_to_child(child, parent).items()
                               for kid in kids}
                if parent == T_REGION:
                    mapping = {**{k: v for k, v in ref.NEW_UA_REGIONS.items()
                                  if k in self._type_codes[child]}, **mapping}
                self._parent_of[(child, parent)] = mapping
        known = set().union(*self._type_codes.values())
        d = data.loc[data["area_code"].isin(known)].reset_index(drop=True)
        d = d.drop_duplicates(list(schema.TIDY_KEY[:-1]), keep="first").reset_index(drop=True)
        self._encode(d)
        self._available = sorted(
            (int(ind), t) for ind, codes in d.groupby("indicator_id")["area_code"].agg(set).items()
            for t in AREA_TYPE_IDS if set(codes) & self._type_codes[t])
        self._available_set = set(self._available)
        names = (d.drop_duplicates("indicator_id").set_index("indicator_id")["indicator_name"]
                 .astype(str).str.strip().to_dict())
        for spec in catalogue.all_indicators():
            names.setdefault(spec.indicator_id, spec.name)
        self._indicator_names = {int(k): str(v) for k, v in names.items()}

    def _encode(self, d: pd.DataFrame) -> None:
        """Format every observation's fields once (numbers as .NET writes them)."""
        n = len(d)
        start = pd.to_datetime(d["period_start"])
        years = ((pd.to_datetime(d["period_end"]) - start).dt.days / 365.25).round()
        ind = d["indicator_id"].astype(int)

        def text(col: str) -> list[str]:
            if col not in d.columns:  # an older tidy schema without the published columns
                return [""] * n
            return [csv_text(v) if not pd.isna(v) else "" for v in d[col].tolist()]

        def number(col: str) -> list[str]:
            return [dotnet_number(v) for v in d[col].astype("float64").tolist()]

        low, up = d["lower_ci_95"].astype("float64"), d["upper_ci_95"].astype("float64")
        low8, up8 = d["lower_ci_99_8"].astype("float64"), d["upper_ci_99_8"].astype("float64")
        pair = ~(low.isna() | up.isna())
        pair8 = ~(low8.isna() | up8.isna())
        denominator = d["denominator"].astype("float64").where(lambda s: s > 0)
        ages = d["age"].astype("string").fillna(ind.map(AGE_LABELS).astype("string"))
        latest = d.groupby("indicator_id")["period_start"].transform("max") == d["period_start"]
        trend = d["recent_trend"].astype("string").where(latest.to_numpy())
        cells = {
            "Indicator ID": [str(i) for i in ind.tolist()],
            "Indicator Name": text("indicator_name"),
            "Area Code": d["area_code"].astype(str).tolist(),
            "Sex": text("sex"),
            "Age": [csv_text(a) if not pd.isna(a) else "" for a in ages.tolist()],
            "Category Type": text("category_type"),
            "Category": text("category"),
            "Time period": text("period"),
            "Value": number("value"),
            "Lower CI 95.0 limit": [dotnet_number(v) if ok else "" for v, ok in
                                    zip(low.tolist(), pair.tolist(), strict=True)],
            "Upper CI 95.0 limit": [dotnet_number(v) if ok else "" for v, ok in
                                    zip(up.tolist(), pair.tolist(), strict=True)],
            "Lower CI 99.8 limit": [dotnet_number(v) if ok else "" for v, ok in
                                    zip(low8.tolist(), pair8.tolist(), strict=True)],
            "Upper CI 99.8 limit": [dotnet_number(v) if ok else "" for v, ok in
                                    zip(up8.tolist(), pair8.tolist(), strict=True)],
            "Count": number("count"),
            "Denominator": [dotnet_number(v) for v in denominator.tolist()],
            "Value note": text("value_note"),
            "Recent Trend": [csv_text(v) if not pd.isna(v) else "" for v in trend.tolist()],
            # SignificanceFormatter writes "Not compared" when there is no comparison.
            "Compared to England value or percentiles": [
                v or "Not compared" for v in text("compared_to_england")],
            "Time period Sortable": [str(y * 10000) for y in start.dt.year.tolist()],
            "New data": [""] * n,
            "Compared to goal": text("compared_to_goal"),
            # Synthetic test fixture: the year range is worked out from the period's length.
            "Time period range": [f"{int(y)}y" for y in years.fillna(1).tolist()],
        }
        assert set(cells) == set(DATA_COLUMNS)
        self._cells = cells
        # Pre-joined parts of each row (see CsvFormat.line): the fields that do not change
        # from one request to the next.
        columns = list(HEADER)
        middle = columns[columns.index("Sex"):columns.index("Compared to Region value or "
                                                              "percentiles")]
        self._head = [f"{a},{b}" for a, b in zip(cells["Indicator ID"], cells["Indicator Name"],
                                                 strict=True)]
        self._middle = [",".join(parts) for parts in zip(*(cells[c] for c in middle),
                                                         strict=True)]
        self._tail = list(zip(cells["Compared to goal"], cells["Time period range"],
                              strict=True))
        self._parent_comparison = [v or "Not compared" for v in text("compared_to_parent")]
        self._codes = cells["Area Code"]
        self._latest = latest.to_numpy()
        cat_type_id = [ref.CATEGORY_TYPE_BY_NAME.get(t, {}).get("Id", 9999) if t else -1
                       for t in d["category_type"].astype("string").fillna("").tolist()]
        cat_id = [ref.CATEGORY_ID_BY_NAME.get((tid, c), 99) if c else -1 for tid, c in
                  zip(cat_type_id, d["category"].astype("string").fillna("").tolist(),
                      strict=True)]
        order = pd.DataFrame({
            "ind": ind, "period": start, "label": d["period"].astype(str),
            "sex": d["sex"].map(ref.SEX_IDS).fillna(9).astype(int),
            "age": ages.map(lambda a: ref.AGE_IDS.get(a, 500)).astype(int),
            "code": d["area_code"].astype(str), "cat_type": cat_type_id, "cat": cat_id,
        }).sort_values(["ind", "period", "label", "sex", "age", "code", "cat_type", "cat"],
                       kind="stable")
        # Each indicator's rows, one list per period (oldest first), each in the server's order.
        self._period_rows: dict[int, list[list[int]]] = {}
        for ident, group in order.groupby("ind", sort=False):
            self._period_rows[int(ident)] = [
                [int(i) for i, _ in rows]
                for _, rows in groupby(zip(group.index, group["label"], strict=True),
                                       key=lambda x: x[1])]

    # -- names and area types -----------------------------------------------------------------
    def area_name(self, code: str) -> str:
        """The area's name as served: regions with the server's suffix (``region_names``)."""
        name = self._raw_names.get(code, code)
        if self.region_names == "region":
            name = name.removesuffix(" (statistical)")
        return name

    def _short(self, type_id: int) -> str:
        if self.csv_format == "2017" and type_id in ref.SHORT_NAMES_2017:
            return ref.SHORT_NAMES_2017[type_id]
        item = self._area_type_by_id.get(type_id) or self._category_parents.get(type_id)
        return item["Short"] if item else ""

    def _is_area_type(self, type_id: int) -> bool:
        return type_id in self._area_type_by_id or type_id in self._category_parents

    # -- the CSV --------------------------------------------------------------------------------
    def csv_bytes(self, ids, child: int, parent: int | None, profile: bool = False) -> bytes:
        """The ``all_data/csv`` body for indicator ids (in request order) at a child and parent
        area type; ``parent=None`` is the post-2020 ``area_type_id``-only path (C21)."""
        key = (tuple(int(i) for i in ids), int(child), parent, bool(profile), self.csv_format,
               self.region_names)
        with self._lock:
            cached = self._csv_cache.get(key)
        if cached is None:
            cached = self._csv_text(*key[:4]).encode("utf-8")
            with self._lock:
                self._csv_cache[key] = cached
        return cached

    def _line(self, i: int, parent_code: str, parent_name: str, area_type: str,
              fmt: CsvFormat, profile: bool, parent_type: int) -> str:
        code = self._codes[i]
        parents = f"{parent_code},{csv_text(parent_name) if parent_name else ''}"
        area = f"{code},{csv_text(self.area_name(code))},{csv_text(area_type)}"
        # Under parent type 15 the parent significance is never computed: "Not compared".
        comparison = "Not compared" if parent_type == T_ENGLAND else self._parent_comparison[i]
        latest = bool(self._latest[i])
        # Synthetic test fixture: with a profile, the latest period counts as new data.
        new_data = "New data" if profile and latest else ""
        return fmt.line(self._head[i], parents, area, self._middle[i], comparison,
                        self._cells["Time period Sortable"][i], new_data, self._tail[i],
                        latest=latest, profile=profile)

    def _csv_text(self, ids: tuple[int, ...], child: int, parent: int | None,
                  profile: bool) -> str:
        fmt = CsvFormat(self.csv_format)
        parent_type = T_REGION if parent is None else parent
        header = fmt.header(self._short(parent_type), parent_type)
        lines = [",".join(csv_text(c) for c in header)]
        child_codes = self._type_codes.get(child, set())
        parent_codes = self._type_codes.get(parent_type, set())
        for ident in ids:
            if (ident, child) not in self._available_set:
                continue  # no grouping at this area type: nothing (IndicatorDataBodyContainer)
            for rows in self._period_rows.get(ident, []):
                if parent is None:
                    lines += self._tier_block(rows, child, fmt, profile)
                    continue
                england = [i for i in rows if self._codes[i] == ENGLAND]
                lines += [self._line(i, "", "", self._short(T_ENGLAND), fmt, profile, parent)
                          for i in england]
                # The parent level: England again under parent type 15, else every area of it.
                upper = england if parent == T_ENGLAND else [
                    i for i in rows if self._codes[i] in parent_codes]
                lines += [self._line(i, ENGLAND, self.area_name(ENGLAND),
                                     self._short(parent_type), fmt, profile, parent)
                          for i in upper]
                parent_of = self._parent_of.get((child, parent), {})
                for i in rows:
                    code = self._codes[i]
                    par = parent_of.get(code)
                    if code == ENGLAND or code not in child_codes or par is None:
                        continue  # children without a parent of the type are skipped
                    label = self._short(parent if code in parent_codes else child)
                    lines.append(self._line(i, par, self.area_name(par), label, fmt, profile,
                                            parent))
        return "\r\n".join(lines) + "\r\n"

    def _tier_block(self, rows: list[int], child: int, fmt: CsvFormat, profile: bool
                    ) -> list[str]:
        """One period on the ``area_type_id``-only path: England, regions, counties (for a
        district-level type), then the children, each labelled by its own tier."""
        child_codes = self._type_codes.get(child, set())
        tiers = [{ENGLAND}, self._type_codes[T_REGION]]
        if child == T_DISTRICT_UA:
            tiers.append({c for c in self._type_codes[T_COUNTY_UA] if c.startswith("E10")})
        tiers.append(child_codes)
        region_of = self._parent_of[(T_COUNTY_UA, T_REGION)] | self._parent_of[
            (T_DISTRICT_UA, T_REGION)]
        out, seen = [], set()
        for tier in tiers:
            for i in rows:
                code = self._codes[i]
                if code not in tier or i in seen:
                    continue
                seen.add(i)
                par = "" if code == ENGLAND else region_of.get(code, ENGLAND)
                out.append(self._line(i, par, self.area_name(par) if par else "",
                                      area_type_label(code), fmt, profile, T_REGION))
        return out

    # -- indicator metadata -------------------------------------------------------------------
    def _descriptive(self, ident: int) -> dict[str, str]:
        """Every non-empty text property of an indicator (the ``include_definition=yes``
        form): from FingertipsNext's metadata where it covers the indicator, else synthetic."""
        nxt = self._next_meta.get(ident, {})
        texts = {"Name": self._indicator_names[ident],
                 "Definition": "Synthetic test fixture definition.",
                 "Rationale": "Synthetic test fixture rationale.",
                 "DataSource": "Synthetic test fixture data source."}
        for key, prop in ref.NEXT_TO_DESCRIPTIVE.items():
            value = str(nxt.get(key) or "").strip()
            if value and value != "None":
                texts[prop] = value
        return {k: v for k, v in texts.items() if v.strip()}

    def _value_type(self, ident: int) -> dict:
        nxt = self._next_meta.get(ident, {})
        spec = next((s for s in catalogue.all_indicators() if s.indicator_id == ident), None)
        name = nxt.get("valueType") or (spec.value_type.capitalize() if spec else "Proportion")
        # Server source ValueTypeIds: 1 DSR, 3 crude rate, 5 proportion, 7 count; 4 (life
        # expectancy) and 99 (other) are a synthetic test fixture.
        ids = {"Directly standardised rate": 1, "Crude rate": 3, "Life expectancy": 4,
               "Proportion": 5, "Count": 7}
        return {"Id": ids.get(name, 99), "Name": name}

    def metadata(self, ident: int, *, include_definition: bool = False) -> dict:
        """The ``IndicatorMetadata`` JSON object of one indicator, keys in the server's order
        (``PholioObjects/IndicatorMetadata.cs``; C2, C3)."""
        nxt = self._next_meta.get(ident, {})
        spec = next((s for s in catalogue.all_indicators() if s.indicator_id == ident), None)
        unit = nxt.get("unitLabel") or {"years": "Years"}.get(spec.unit if spec else "", (
            spec.unit if spec else "%"))
        descriptive = self._descriptive(ident)
        if not include_definition:
            descriptive = {k: v for k, v in descriptive.items() if k in ("Name", "DataSource")}
        year_type = nxt.get("periodType") or "Calendar"
        ci_name = nxt.get("ciMethod") or "Synthetic test fixture CI method"
        item = {
            "IID": ident,
            "Unit": {"Id": 99, "Value": 1.0, "Label": unit},  # Id/Value: synthetic fixture
            "ValueType": self._value_type(ident),
            "YearType": {"Id": ref.YEAR_TYPES.get(year_type, 1),
                         "Name": "Financial" if year_type == "Yearly" else year_type},
            "ConfidenceIntervalMethod": {"Id": 99, "Name": ci_name,  # Id: synthetic fixture
                                         "Description": "Synthetic test fixture description."},
            "Descriptive": descriptive,
        }
        if ident == ref.ETHNICITY_INDICATOR:  # Target only for an indicator with a goal
            item["Target"] = {"LowerLimit": 55.0, "UpperLimit": None, "BespokeKey": None,
                              "PolarityId": 1, "LegendHtml": "Synthetic test fixture goal",
                              "UseCIsForLimitComparison": False}
        item.update({
            "LatestChangeTimestampOverride": None, "SpecialCases": None,
            "AlwaysShowSexWithIndicatorName": False, "AlwaysShowAgeWithIndicatorName": False,
            "ShouldAveragesBeCalculated": False, "Status": None, "DestinationProfileId": 0,
            # Post-2020 (fingertipsR reads it); FingertipsNext's lastUpdatedDate stands in.
            "DataChange": {"LastUploadedAt": nxt.get("lastUpdatedDate"),
                           "LastDeletedAt": "0001-01-01T00:00:00"},
        })
        return item

    def _polarity(self, ident: int) -> str:
        spec = next((s for s in catalogue.all_indicators() if s.indicator_id == ident), None)
        polarity = spec.polarity if spec else (1 if ident == ref.ETHNICITY_INDICATOR else -1)
        return ref.POLARITY_NAMES[polarity]

    def metadata_csv(self, ids: list[int]) -> bytes:
        """``indicator_metadata/csv/*``: ``Indicator ID``, the text properties' display names,
        then ``Unit, Value type, Year type, Polarity`` (``MultipleIndicatorMetadataFileWriter``)."""
        header = (["Indicator ID"] + [d for d, _ in ref.METADATA_TEXT_PROPERTIES]
                  + ["Unit", "Value type", "Year type", "Polarity"])
        lines = [",".join(csv_text(h) for h in header)]
        for ident in dict.fromkeys(i for i in ids if i in self._indicator_names):
            item = self.metadata(ident, include_definition=True)
            desc = item["Descriptive"]
            fields = ([str(ident)] + [csv_text(desc.get(k, "")) for _, k in
                                      ref.METADATA_TEXT_PROPERTIES]
                      + [csv_text(item["Unit"]["Label"]), csv_text(item["ValueType"]["Name"]),
                         csv_text(item["YearType"]["Name"]), csv_text(self._polarity(ident))])
            lines.append(",".join(fields))
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")

    def _group_ids(self, profile_ids) -> list[int]:
        return [gid for p in ref.PROFILES if p["Id"] in profile_ids for gid, _ in p["Domains"]]

    def _indicators_of_groups(self, group_ids) -> list[int]:
        return list(dict.fromkeys(i for g in group_ids for i in ref.GROUP_INDICATORS.get(g, ())
                                  if i in self._indicator_names))

    def neighbours(self, code: str) -> tuple[int, list[str]]:
        """The neighbour type and neighbours of an ``nn-<type>-<code>`` code."""
        _, type_text, area = code.split("-", 2)
        type_id = int(type_text) if type_text.isdigit() else -1
        return type_id, list(self._neighbours.get(type_id, {}).get(area, []))

    def _type_of(self, code: str) -> int:
        return next((t for t in (T_COUNTY_UA, T_DISTRICT_UA, T_REGION, T_ENGLAND)
                     if code in self._type_codes[t]), T_COUNTY_UA)

