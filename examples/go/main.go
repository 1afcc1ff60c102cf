// Binds the instances listed in the stack config to one security group.
//
//	pulumi config set tencentcloud-sg-attachment:region ap-guangzhou
//	pulumi config set securityGroupId sg-web00001
//	pulumi config set instanceIds '["ins-demo0001","ins-demo0002"]'
//	pulumi up
package main

import (
	sgattachment "github.com/pulumi-tencentcloud-sg-attachment/pulumi-tencentcloud-sg-attachment/sdk/go/tencentcloudsgattachment"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		var instanceIds []string
		cfg.RequireObject("instanceIds", &instanceIds)

		web, err := sgattachment.NewSecurityGroupAttachment(ctx, "web", &sgattachment.SecurityGroupAttachmentArgs{
			SecurityGroupId: pulumi.String(cfg.Require("securityGroupId")),
			InstanceIds:     pulumi.ToStringArray(instanceIds),
			AdoptExisting:   pulumi.BoolPtr(cfg.GetBool("adoptExisting")),
		})
		if err != nil {
			return err
		}
		ctx.Export("boundInstanceIds", web.InstanceIds)
		// The position of the group in each instance's list (0 = highest priority).
		ctx.Export("priorities", web.Priorities)
		return nil
	})
}
