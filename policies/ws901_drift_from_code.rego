package wsaudit.rules.ws901

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS901",
	"title": "A live setting differs from the value the infrastructure code plans",
	"severity": "medium",
	"category": "drift",
	"why": concat(" ", [
		"`wsaudit chain --terraform-plan PLAN.json` (or `--cloudformation TEMPLATE`) reads each layer live and",
		"from the code, through the same translation, and compares the two. A difference means the resource",
		"was changed by hand (a console edit made during an incident: an idle timeout raised to stop",
		"reconnects, stickiness switched on), or the plan has not been applied yet. Either way the audit of",
		"the code and the behaviour of production disagree: the next `terraform apply` or stack update puts",
		"the planned value back and undoes the fix, or a fix still waiting in a pull request is not in",
		"effect. The WebSocket symptoms then come and go with deploys, which is what makes them so hard to",
		"pin down.",
	]),
	"remediation": "Decide which value is right and make the other side agree: write the live value into the code (and plan again) when the hand-made change is the fix, or apply the plan when the code is right. Keep console changes out of managed resources (an SCP or IAM condition on the Modify* calls, drift detection in CI).",
	"snippet": concat("\n", [
		"# Terraform: put the live value into the code, then confirm the plan is empty",
		"resource \"aws_lb\" \"ws\" {",
		"  idle_timeout = 3600",
		"}",
		"terraform plan -detailed-exitcode   # exit 0: no drift left",
		"# CloudFormation: detect drift on the stack",
		"aws cloudformation detect-stack-drift --stack-name chat-edge",
	]),
	"references": [
		"https://developer.hashicorp.com/terraform/tutorials/state/resource-drift",
		"https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html",
	],
}

findings contains f if {
	some d in input.drift
	f := {
		"layer": d.layer,
		"setting": d.setting,
		"headline": sprintf("%s is %s live but %s in the code", [d.setting, value_text(d.live), value_text(d.planned)]),
		"message": sprintf("%s is %s live but %s in the code (%s): the next apply changes it back, or the planned change is not in effect yet", [
			d.setting, value_text(d.live), value_text(d.planned), lib.origin_text(d.planned_origin),
		]),
		"evidence": {
			"setting": d.setting,
			"live": d.live,
			"planned": d.planned,
			"planned_origin": d.planned_origin,
		},
	}
}

value_text(v) := sprintf("%v s", [v]) if is_number(v)

value_text(v) := sprintf("%v", [v]) if not is_number(v)
