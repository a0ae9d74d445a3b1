from enrolment.app import main

main()
