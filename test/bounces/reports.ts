/**
 * Real-shaped bounce and complaint reports, as the major mailbox providers and MTAs send
 * them (structure, part types, field names and wording copied from real reports; addresses
 * and ids are the test's). Each returns the raw message (LF line endings; the IMAP helper
 * sends CRLF).
 */
export interface Original {
  /** The envelope sender the email went out with (VERP address). */
  returnPath: string;
  messageId: string;
  to: string;
}

function originalHeaders(o: Original): string {
  return `Return-Path: <${o.returnPath}>
Received: from news.example.com (news.example.com [203.0.113.5])
\tby mx.example.org (Postfix) with ESMTPS id 4Q1abc
\tfor <${o.to}>; Wed,  2 Jul 2025 09:00:01 +0800 (CST)
From: =?UTF-8?B?5rWL6K+V5paw6Ze7?= <news@example.com>
To: <${o.to}>
Subject: =?UTF-8?B?5rWL6K+V5paw6Ze7?=
Message-ID: ${o.messageId}
Date: Wed, 02 Jul 2025 09:00:00 +0800
List-Id: =?UTF-8?B?5rWL6K+V5paw6Ze7?= <news.news.example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8`;
}

/** Postfix: "Undelivered Mail Returned to Sender", DSN with the whole original. */
export function postfixDsn(o: Original, id = 'postfix-1'): string {
  return `Return-Path: <>
Delivered-To: ${o.returnPath}
Date: Wed,  2 Jul 2025 09:00:03 +0800 (CST)
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: ${o.returnPath}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="8F2A01C0A2.1751418003/mx.example.org"
Message-Id: <20250702010003.${id}@mx.example.org>

This is a MIME-encapsulated message.

--8F2A01C0A2.1751418003/mx.example.org
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<${o.to}>: host mail.example.net[198.51.100.7] said: 550 5.1.1
    <${o.to}>: Recipient address rejected: User unknown in virtual mailbox
    table (in reply to RCPT TO command)

--8F2A01C0A2.1751418003/mx.example.org
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
X-Postfix-Queue-ID: 8F2A01C0A2
X-Postfix-Sender: rfc822; ${o.returnPath}
Arrival-Date: Wed,  2 Jul 2025 09:00:01 +0800 (CST)

Final-Recipient: rfc822; ${o.to}
Original-Recipient: rfc822;${o.to}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.example.net
Diagnostic-Code: smtp; 550 5.1.1 <${o.to}>: Recipient address rejected: User
    unknown in virtual mailbox table

--8F2A01C0A2.1751418003/mx.example.org
Content-Description: Undelivered Message
Content-Type: message/rfc822

${originalHeaders(o)}

Hello, the newsletter.

--8F2A01C0A2.1751418003/mx.example.org--
`;
}

/** Gmail: "Delivery Status Notification (Failure)" from mailer-daemon@googlemail.com. */
export function gmailDsn(o: Original, to = o.returnPath): string {
  return `Delivered-To: ${to}
Return-Path: <>
MIME-Version: 1.0
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
Date: Tue, 01 Jul 2025 18:00:05 -0700 (PDT)
To: ${to}
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
References: ${o.messageId}
In-Reply-To: ${o.messageId}
X-Failed-Recipients: ${o.to}
Message-ID: <6863a4a5.050a0220.gmail-1@mx.google.com>
Content-Type: multipart/report; boundary="000000000000a1b2c3d4e5f60718"; report-type=delivery-status

--000000000000a1b2c3d4e5f60718
Content-Type: multipart/related; boundary="000000000000a1b2c3d4e5f60719"

--000000000000a1b2c3d4e5f60719
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f6071a"

--000000000000a1b2c3d4e5f6071a
Content-Type: text/plain; charset="UTF-8"


** Address not found **

Your message wasn't delivered to ${o.to} because the address couldn't be found, or is unable to receive mail.

Learn more here: https://support.google.com/mail/?p=NoSuchUser

The response was:

The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser

--000000000000a1b2c3d4e5f6071a
Content-Type: text/html; charset="UTF-8"

<html><body><h2>Address not found</h2><p>Your message wasn't delivered to <a style='color:#212121;text-decoration:none'><b>${o.to}</b></a> because the address couldn't be found.</p></body></html>
--000000000000a1b2c3d4e5f6071a--
--000000000000a1b2c3d4e5f60719--

--000000000000a1b2c3d4e5f60718
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; news.example.com
Arrival-Date: Tue, 01 Jul 2025 18:00:04 -0700 (PDT)
X-Original-Message-ID: ${o.messageId}

Final-Recipient: rfc822; ${o.to}
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.com. (2a00:1450:400c:c0b::1a, the
 server for the domain gmail.com.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does
 not exist. Please try 550-5.1.1 double-checking the recipient's email address
 for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550
 5.1.1  https://support.google.com/mail/?p=NoSuchUser ffacd0b85a97d-3a4f2b2c0d2si
Last-Attempt-Date: Tue, 01 Jul 2025 18:00:05 -0700 (PDT)

--000000000000a1b2c3d4e5f60718
Content-Type: message/rfc822

${originalHeaders(o)}

Hello, the newsletter.

--000000000000a1b2c3d4e5f60718--
`;
}

/** Office 365 / Outlook.com NDR: mailbox full (5.2.2), headers only (text/rfc822-headers). */
export function outlookDsn(o: Original, to = o.returnPath): string {
  return `Received: from AM0PR10MB3201.EURPRD10.PROD.OUTLOOK.COM ([fe80::1]) by AM0PR10MB3201.EURPRD10.PROD.OUTLOOK.COM; Wed, 2 Jul 2025 01:00:06 +0000
MIME-Version: 1.0
From: postmaster@outlook.com
To: ${to}
Date: Wed, 2 Jul 2025 01:00:06 +0000
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="3b4a2c1d-0e5f-4a6b-8c7d-9e0f1a2b3c4d"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: en-US
Message-ID: <b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e@AM0PR10MB3201.EURPRD10.PROD.OUTLOOK.COM>
In-Reply-To: ${o.messageId}
References: ${o.messageId}
Subject: Undeliverable: =?UTF-8?B?5rWL6K+V5paw6Ze7?=
Auto-Submitted: auto-replied

--3b4a2c1d-0e5f-4a6b-8c7d-9e0f1a2b3c4d
Content-Type: multipart/alternative; differences=Content-Type;
\tboundary="a9b8c7d6-e5f4-4321-9876-543210fedcba"

--a9b8c7d6-e5f4-4321-9876-543210fedcba
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Your message to ${o.to} couldn't be delivered.
${o.to.split('@')[0]} can't accept messages right now because their mailbox is f=
ull.

--a9b8c7d6-e5f4-4321-9876-543210fedcba
Content-Type: text/html; charset="us-ascii"

<html><body><p>Your message to ${o.to} couldn't be delivered.</p></body></html>
--a9b8c7d6-e5f4-4321-9876-543210fedcba--

--3b4a2c1d-0e5f-4a6b-8c7d-9e0f1a2b3c4d
Content-Type: message/delivery-status

Reporting-MTA: dns;AM0PR10MB3201.EURPRD10.PROD.OUTLOOK.COM
Received-From-MTA: dns;news.example.com
Arrival-Date: Wed, 2 Jul 2025 01:00:05 +0000

Final-Recipient: rfc822;${o.to}
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp;554 5.2.2 mailbox full;
 STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded;
 Failed to process message due to a permanent exception
X-Display-Name: ${o.to}

--3b4a2c1d-0e5f-4a6b-8c7d-9e0f1a2b3c4d
Content-Type: text/rfc822-headers

${originalHeaders(o)}

--3b4a2c1d-0e5f-4a6b-8c7d-9e0f1a2b3c4d--
`;
}

/** Yahoo's complaint feedback loop: ARF (RFC 5965). */
export function yahooArf(o: Original, to = 'fbl@news.example.com'): string {
  return `Return-Path: <feedback@arf.mail.yahoo.com>
From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>
To: ${to}
Subject: FW: =?UTF-8?B?5rWL6K+V5paw6Ze7?=
Date: Wed, 02 Jul 2025 02:11:09 +0000
Message-ID: <1751422269.yahoo-arf-1@arf.mail.yahoo.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
\tboundary="----=_Part_1234567_890123456.1751422269000"

------=_Part_1234567_890123456.1751422269000
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP 203.0.113.5 on Wed, 02 Jul 2025 01:00:05 +0000.
For more information about this format please see http://tools.ietf.org/html/rfc5965.

------=_Part_1234567_890123456.1751422269000
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Yahoo!-Mail-Feedback/2.0
Version: 1
Original-Mail-From: <${o.returnPath}>
Original-Rcpt-To: <${o.to}>
Received-Date: Wed, 02 Jul 2025 01:00:05 +0000
Reported-Domain: example.com
Authentication-Results: mta1001.mail.gq1.yahoo.com  header.i=@example.com; dkim=pass; spf=pass smtp.mailfrom=news.example.com; dmarc=pass(p=REJECT) header.from=example.com;

------=_Part_1234567_890123456.1751422269000
Content-Type: message/rfc822

${originalHeaders(o)}

Hello, the newsletter.

------=_Part_1234567_890123456.1751422269000--
`;
}

/** Exim's classic plain-text bounce (no DSN): X-Failed-Recipients, the reply, a copy of the message. */
export function eximPlain(o: Original): string {
  return `Return-path: <>
Envelope-to: ${o.returnPath}
Delivery-date: Wed, 02 Jul 2025 09:00:09 +0800
Received: from Debian-exim by mx.example.net with local (Exim 4.96)
\tid 1uWq8p-000123-4U
\tfor ${o.returnPath}; Wed, 02 Jul 2025 09:00:09 +0800
X-Failed-Recipients: ${o.to}
Auto-Submitted: auto-replied
From: Mail Delivery System <Mailer-Daemon@mx.example.net>
To: ${o.returnPath}
Content-Type: text/plain; charset=us-ascii
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1uWq8p-000123-4U@mx.example.net>
Date: Wed, 02 Jul 2025 09:00:09 +0800

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  ${o.to}
    host mail.example.net [198.51.100.9]
    SMTP error from remote mail server after RCPT TO:<${o.to}>:
    550 5.1.1 <${o.to}>: Recipient address rejected: User unknown

------ This is a copy of the message, including all the headers. ------

${originalHeaders(o)}

Hello, the newsletter.
`;
}

/** A delay notice (Action: delayed): a report, but no bounce. */
export function postfixDelay(o: Original): string {
  return postfixDsn(o, 'delay-1')
    .replace('Undelivered Mail Returned to Sender', 'Delayed Mail (still being retried)')
    .replace('Action: failed\nStatus: 5.1.1', 'Action: delayed\nStatus: 4.4.1')
    .replace(/Diagnostic-Code: smtp; 550 5\.1\.1[^\n]*\n[^\n]*\n/, 'Diagnostic-Code: X-Postfix; connect to mail.example.net[198.51.100.7]:25: Connection timed out\n');
}

/** A reader's reply: not a report; must stay untouched. */
export function readerReply(to: string): string {
  return `From: Ann Reader <ann@example.org>
To: ${to}
Subject: Re: your newsletter about chips
Date: Wed, 02 Jul 2025 10:15:00 +0800
Message-ID: <reply-1@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Thanks for the digest! Could you write more about memory chips?
`;
}
