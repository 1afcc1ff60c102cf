"""Binds the instances listed in the stack config to one security group.

    pulumi config set tencentcloud-sg-attachment:region ap-guangzhou
    pulumi config set securityGroupId sg-web00001
    pulumi config set instanceIds '["ins-demo0001","ins-demo0002"]'
    pulumi up
"""
import pulumi
import pulumi_tencentcloud_sg_attachment as sg_attachment

config = pulumi.Config()

web = sg_attachment.SecurityGroupAttachment(
    "web",
    security_group_id=config.require("securityGroupId"),
    instance_ids=config.require_object("instanceIds"),
    adopt_existing=config.get_bool("adoptExisting"),
)

pulumi.export("boundInstanceIds", web.instance_ids)
# The position of the group in each instance's list (0 = highest priority).
pulumi.export("priorities", web.priorities)
