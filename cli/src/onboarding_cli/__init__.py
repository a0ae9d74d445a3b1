"""`onboard`: the command line for the onboarding platform's enrolment API."""

__version__ = "0.1.0"
