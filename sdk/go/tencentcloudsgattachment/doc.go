// Binds Tencent Cloud CVM instances to a security group and unbinds them safely, with coalesced, rate-limited requests.
package tencentcloudsgattachment
