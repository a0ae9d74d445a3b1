from invitation.app import main

main()
