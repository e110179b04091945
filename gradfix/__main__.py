from gradfix.cli import main

main(prog_name="gradfix")
