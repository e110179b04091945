from gradfix.cli import entry

entry()
