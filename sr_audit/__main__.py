from sr_audit.cli.main import main

main()
