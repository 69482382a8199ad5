"""Contact data: the shipped national file, the validator, imports and exports, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.contacts_data import (
    FIELDS,
    ContactFileError,
    Problem,
    load_national,
    national_contacts,
    read_contacts,
    read_entries,
    record_of,
    validate,
    with_known_regions,
    write_contacts,
)
from bot.settings import LANGUAGES
from storage.contacts import Contact

NATIONAL_TITLES_EN = [
    "Emergency number 112",
    "MIELI Crisis Helpline",
    "Sekasin chat",
    "Nollalinja helpline",
    "Victim Support Finland (RIKU)",
    "Urgent health advice 116 117",
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(raw: dict[str, object], *, national: bool = False) -> set[tuple[str, Problem]]:
    result = validate(raw, national=national)
    assert isinstance(result, list), result
    return {(e.name, e.problem) for e in result}


# --- the shipped national entries ------------------------------------------------------------


def test_the_shipped_national_file_is_valid_complete_and_in_order():
    national = load_national()  # raises, listing every problem, if the file is broken
    assert [c.text_in("en").title for c in national] == NATIONAL_TITLES_EN
    assert [c.phone for c in national] == [
        "112",
        "09 2525 0111",
        None,
        "080 005 005",
        "116 006",
        "116 117",
    ]
    assert national[2].web == "https://sekasin247.fi"
    assert "12–29" in (national[2].text_in("en").notes or "")
    for contact in national:
        assert contact.region is None
        assert contact.contact_id is None
        assert contact.verified_on == "2026-11-29"
        assert contact.source is not None
        assert contact.source.startswith("https://")
        assert set(contact.texts) == set(LANGUAGES), "every language, Northern Sámi too"
    assert national_contacts() == national


def test_a_broken_national_file_fails_loudly_in_tests(tmp_path: Path):
    broken = write(tmp_path / "n.toml", '[[contact]]\nregion = "Lappi"\ntitle_fi = "X"\n')
    with pytest.raises(ContactFileError) as error:
        load_national(broken)
    text = "\n".join(error.value.problems)
    assert "line 2: region is not given for national entries" in text
    assert "source is missing" in text
    assert "verified_on is missing" in text


# --- the validator ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone", ["112", "040 123 4567", "+358 40 123 4567", "(09) 2525-0111", "040-1234567"]
)
def test_phone_numbers_people_write_are_accepted(phone: str):
    result = validate({"region": "Lappi", "title_fi": "X", "phone": phone})
    assert isinstance(result, Contact)
    assert result.phone == phone


@pytest.mark.parametrize("phone", ["abc", "040 123 4567 ext 5", "12", "1" * 16, "+"])
def test_phone_numbers_with_letters_or_too_few_digits_are_refused(phone: str):
    assert ("phone", Problem.PHONE) in problems_of(
        {"region": "L", "title_fi": "X", "phone": phone}
    )


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("email", "jalkihuolto@example.fi", True),
        ("email", "no-at-sign.fi", False),
        ("email", "a@b", False),
        ("email", "a b@example.fi", False),
        ("web", "example.fi", True),
        ("web", "https://www.example.fi/jälkihuolto?x=1", True),
        ("web", "http://example.fi", True),
        ("web", "javascript:alert(1)", False),
        ("web", "ftp://example.fi", False),
        ("web", "example", False),
        ("verified_on", "2026-11-29", True),
        ("verified_on", "29.11.2026", False),
        ("verified_on", "2026-02-30", False),
        ("municipality", "Rovaniemi", True),
        ("municipality", "<b>", False),
    ],
)
def test_addresses_dates_and_places(name: str, value: str, ok: bool):
    result = validate({"region": "Lappi", "title_fi": "X", name: value})
    assert isinstance(result, Contact) is ok


def test_lengths_languages_and_required_fields():
    assert problems_of({"title_fi": "X" * 101, "notes_sv": "n"}) == {
        ("title_fi", Problem.TOO_LONG),
        ("notes_sv", Problem.NO_TITLE),
        ("region", Problem.REQUIRED),
    }
    assert problems_of({"region": "Lappi", "title_en": "Only English", "phnoe": "1"}) == {
        ("title_fi", Problem.REQUIRED),
        ("phnoe", Problem.UNKNOWN),
    }
    assert problems_of({"region": "Lappi", "title_fi": "A\tB", "phone": 401234567}) == {
        ("title_fi", Problem.ONE_LINE),
        ("phone", Problem.NOT_TEXT),
    }
    result = validate({"region": " Lappi ", "title_fi": "X", "notes_fi": "a\nb", "email": ""})
    assert isinstance(result, Contact)
    assert (result.region, result.email, result.text_in("fi").notes) == ("Lappi", None, "a\nb")


def test_record_of_is_the_inverse_of_validate():
    raw = {
        "id": "k7m2p",
        "region": "Lappi",
        "municipality": "Inari",
        "phone": "040 1",
        "web": "example.fi",
        "verified_on": "2026-11-29",
        "title_fi": "Ohjaaja",
        "hours_fi": "ma",
        "title_se": "Bagadalli",
    }
    contact = validate(raw)
    assert isinstance(contact, Contact)
    assert record_of(contact) == raw
    assert list(record_of(contact)) == [name for name in FIELDS if name in raw]


def test_a_region_keeps_one_spelling():
    rows = [
        validate({"region": r, "title_fi": "X"}) for r in ("LAPPI", "lappi", "Kainuu", "KAINUU")
    ]
    contacts = [c for c in rows if isinstance(c, Contact)]
    fixed = with_known_regions(contacts, ["Lappi", "Päijät-Häme"])
    assert [c.region for c in fixed] == ["Lappi", "Lappi", "Kainuu", "Kainuu"]


# --- files -----------------------------------------------------------------------------------

TOML_WITH_PROBLEMS = """\
# contacts
[[contact]]
region = "Lappi"
title_fi = "Fine"

[[contact]]
region = "Lappi"
title_fi = "Bad phone"
phone = "call me"

[[contact]]
region = "Lappi"
email = "nope"
"""


def test_toml_problems_are_listed_with_their_line_numbers(tmp_path: Path):
    path = write(tmp_path / "c.toml", TOML_WITH_PROBLEMS)
    with pytest.raises(ContactFileError) as error:
        read_contacts(path)
    assert error.value.problems == [
        "line 9: phone can have digits, spaces, +, - and brackets, for example 040 123 4567",
        "line 13: email is not an e-mail address such as name@example.fi",
        "line 11: title_fi is missing",
    ]


def test_csv_problems_are_listed_with_their_line_numbers(tmp_path: Path):
    path = write(
        tmp_path / "c.csv",
        "region;title_fi;phone;notes_fi\n"
        "Lappi;Fine;040 1;\n"
        "\n"
        'Lappi;"Two\nlines";040 2;\n'
        "Lappi;;x;\n",
    )
    with pytest.raises(ContactFileError) as error:
        read_contacts(path)
    assert error.value.problems == [
        "line 4: title_fi must be on one line, without control characters",
        "line 6: phone can have digits, spaces, +, - and brackets, for example 040 123 4567",
        "line 6: title_fi is missing",
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("c.txt", "", "use a file whose name ends in .toml or .csv"),
        ("c.toml", "[[contact]\n", "not valid TOML"),
        ("c.toml", 'region = "Lappi"\n', "line 1: region is not a contact"),
        ("c.csv", "region,title_fi,phnoe\n", "line 1: column 'phnoe' is not a field"),
        ("c.csv", "region,title_fi\nLappi,X,extra\n", "line 2: more cells than the header"),
        (
            "c.toml",
            '[[contact]]\nid = "abcde"\nregion = "L"\ntitle_fi = "A"\n'
            '[[contact]]\nid = "abcde"\nregion = "L"\ntitle_fi = "B"\n',
            "line 6: id abcde is also used on line 2",
        ),
    ],
)
def test_unusable_files_say_why(tmp_path: Path, name: str, text: str, expected: str):
    with pytest.raises(ContactFileError) as error:
        read_contacts(write(tmp_path / name, text))
    assert any(expected in problem for problem in error.value.problems), error.value.problems


def test_a_spreadsheet_csv_with_a_bom_and_a_toml_date_are_read(tmp_path: Path):
    csv_file = tmp_path / "c.csv"
    csv_file.write_bytes("region,title_fi\r\nLappi,Ohjaaja\r\n".encode("utf-8-sig"))
    ((where, contact),) = read_entries(csv_file)
    assert (where, contact.region, contact.title) == ("line 2", "Lappi", "Ohjaaja")
    toml_file = write(
        tmp_path / "c.toml",
        '[[contact]]\nregion = "L"\ntitle_fi = "A"\nverified_on = 2026-11-29\n',
    )
    (contact,) = read_contacts(toml_file)
    assert contact.verified_on == "2026-11-29"


@pytest.mark.parametrize("suffix", [".toml", ".csv"])
def test_an_export_reads_back_as_the_same_entries(tmp_path: Path, suffix: str):
    tricky = validate(
        {
            "id": "k7m2p",
            "region": "Lappi",
            "municipality": "Inari",
            "phone": "+358 40 123 4567",
            "email": "a@example.fi",
            "web": "https://example.fi/a?b=1",
            "source": 'Phone call, "office"',
            "verified_on": "2026-11-29",
            "title_fi": 'Ohjaaja, "jälkihuolto" \\ 1',
            "notes_fi": "Two\nlines; and, commas",
            "title_se": "Bagadalli",
        }
    )
    plain = validate({"region": "Päijät-Häme", "title_fi": "Toinen"})
    assert isinstance(tricky, Contact)
    assert isinstance(plain, Contact)
    path = tmp_path / f"export{suffix}"
    write_contacts(path, [tricky, plain])
    assert [record_of(c) for c in read_contacts(path)] == [record_of(tricky), record_of(plain)]


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write(tmp_path / "c.toml", f'[storage]\nurl = "sqlite:///{tmp_path}/bot.db"\n')


def test_cli_import_export_and_list(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
):
    source = write(
        tmp_path / "in.csv",
        "region,municipality,title_fi,phone\n"
        "lappi,Rovaniemi,Jälkihuolto,040 123 4567\n"
        "Lappi,,Koko alue,\n",
    )
    assert main(["--config", str(config), "contacts", "import", str(source)]) == 0
    out = capsys.readouterr().out
    assert "2 entries imported (2 new, 0 updated)" in out
    assert "line 2: new entry" in out
    assert "line 3: new entry" in out
    exported = tmp_path / "out.toml"
    assert main(["--config", str(config), "contacts", "export", str(exported)]) == 0
    assert "2 entries exported" in capsys.readouterr().out
    entries = read_contacts(exported)
    assert [c.region for c in entries] == ["lappi", "lappi"], "one spelling per region"
    text = exported.read_text(encoding="utf-8").replace("Jälkihuolto", "Jälkihuolto 2")
    write(exported, text)
    assert main(["--config", str(config), "contacts", "import", str(exported)]) == 0
    assert "2 entries imported (0 new, 2 updated)" in capsys.readouterr().out
    assert main(["--config", str(config), "contacts", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Jälkihuolto 2" in listed
    assert "Koko alue" in listed
    assert "National entries (shipped with the bot, not editable): 6" in listed


def test_cli_refuses_an_invalid_file_and_imports_nothing(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
):
    source = write(tmp_path / "in.toml", TOML_WITH_PROBLEMS)
    assert main(["--config", str(config), "contacts", "import", str(source)]) == 2
    err = capsys.readouterr().err
    assert "nothing was imported" in err
    assert "line 9: phone" in err
    assert "line 11: title_fi is missing" in err
    assert main(["--config", str(config), "contacts", "list"]) == 0
    assert "Regional entries: 0" in capsys.readouterr().out
    missing = tmp_path / "missing.csv"
    assert main(["--config", str(config), "contacts", "import", str(missing)]) == 2
    assert "cannot be read" in capsys.readouterr().err
    wrong = tmp_path / "out.xlsx"
    assert main(["--config", str(config), "contacts", "export", str(wrong)]) == 2
    assert ".toml or .csv" in capsys.readouterr().err
