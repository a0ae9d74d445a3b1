from onboarding_cli.main import app

app(prog_name="onboard")
