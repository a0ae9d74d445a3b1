from notification.app import main

main()
